package io.parley.inference.audio.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import io.parley.inference.audio.Pcm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Speech encoded in each format, read back by ffprobe and by the decoder. */
class AudioEncoderTest {

  @TempDir Path dir;

  @Test
  void everyFormatRoundTripsWithItsLengthAndLoudness() throws Exception {
    assertThat(AudioEncoder.supported()).containsExactlyInAnyOrder(SpeechFormat.values());
    Path wav = EncodedSpeech.speak("Drink a glass of water before lunch.", "en-us", dir, "speech");
    AudioDecoder decoder = new AudioDecoder(new CodecOptions(Duration.ofSeconds(60)));
    float[] original = decoder.decode(Files.readAllBytes(wav)).samples();
    short[] pcm16 = Pcm.fromFloat(original);
    double seconds = original.length / 16_000.0;
    for (SpeechFormat format : SpeechFormat.values()) {
      EncodedAudio encoded = AudioEncoder.encode(pcm16, 16_000, format);
      assertThat(encoded.contentType()).isEqualTo(format.contentType());
      if (format == SpeechFormat.PCM) {
        assertThat(encoded.data().length).isCloseTo((int) Math.round(seconds * 24_000) * 2, offset(64));
        continue;
      }
      Path file = dir.resolve("out." + format.wire());
      Files.write(file, encoded.data());
      assertThat(EncodedSpeech.probeSeconds(file)).as(format.wire()).isCloseTo(seconds, offset(0.1));
      float[] back = decoder.decode(encoded.data()).samples();
      assertThat(back.length / 16_000.0).as(format.wire()).isCloseTo(seconds, offset(0.1));
      // lossy, but the same speech: the loudness survives
      assertThat(Pcm.rms(Pcm.fromFloat(back))).as(format.wire()).isCloseTo(Pcm.rms(pcm16), offset(0.02));
    }
  }

  @Test
  void formatsAreNamedAsInRequests() {
    assertThat(SpeechFormat.of("MP3")).contains(SpeechFormat.MP3);
    assertThat(SpeechFormat.of("aac")).isEmpty();
    assertThat(SpeechFormat.names(java.util.EnumSet.allOf(SpeechFormat.class))).isEqualTo("wav, pcm, opus, mp3");
  }
}
