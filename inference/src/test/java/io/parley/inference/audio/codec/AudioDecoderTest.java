package io.parley.inference.audio.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.ParleyException;
import io.parley.inference.audio.Pcm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The decoder on real files: espeak-ng speech encoded by Debian's tools into every accepted format,
 * bombs, damaged and foreign input.
 */
class AudioDecoderTest {

  static Path dir;
  static Path speech;
  static double speechSeconds;
  static Map<String, EncodedSpeech.File> files;
  final AudioDecoder decoder = new AudioDecoder(new CodecOptions(Duration.ofSeconds(60)));

  @BeforeAll
  static void encode() throws Exception {
    dir = Files.createTempDirectory("parley-codec-");
    speech = EncodedSpeech.speak("Please log my breakfast: two eggs and a slice of toast.", "en-us", dir, "speech");
    speechSeconds = EncodedSpeech.probeSeconds(speech);
    files = EncodedSpeech.everyFormat(speech, dir);
  }

  @AfterAll
  static void clean() throws Exception {
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  void everyAcceptedFormatDecodesTo16kHzMonoOfTheSameLength() {
    assertThat(files.keySet()).contains("mp3", "mpga", "m4a", "mp4", "mpeg", "ogg", "oga", "wav", "webm", "flac");
    for (EncodedSpeech.File f : files.values()) {
      DecodedAudio audio = decoder.decode(f.bytes());
      // Encoders add their delay or pad the last frame: a few tens of milliseconds.
      assertThat(audio.seconds()).as("%s (%s, %s)", f.extension(), f.description(), audio.codec())
          .isCloseTo(speechSeconds, org.assertj.core.data.Offset.offset(0.15));
      assertThat(Pcm.rms(Pcm.fromFloat(audio.samples()))).as("%s is not silent", f.extension()).isGreaterThan(0.02);
    }
    assertThat(decoder.decode(files.get("ogg").bytes()).codec()).isEqualTo("opus");
    assertThat(decoder.decode(files.get("oga").bytes()).codec()).isEqualTo("vorbis");
    assertThat(decoder.decode(files.get("m4a").bytes()).codec()).isEqualTo("aac");
    assertThat(decoder.decode(files.get("webm").bytes()).container()).contains("webm");
  }

  @Test
  void theSameSpeechDecodesToTheSameSamplesWhateverTheWavEncoding() {
    float[] pcm16 = decoder.decode(files.get("wav").bytes()).samples();
    float[] float44 = decoder.decode(files.get("f32.wav").bytes()).samples();
    assertThat(float44.length).isCloseTo(pcm16.length, org.assertj.core.data.Offset.offset(2));
    double error = 0;
    for (int i = 0; i < Math.min(pcm16.length, float44.length); i++) {
      error = Math.max(error, Math.abs(pcm16[i] - float44[i]));
    }
    assertThat(error).isLessThan(0.02); // two resamplings apart
  }

  @Test
  void decodersOnSeveralThreadsAtOnceGetWhatOneThreadGets() throws Exception {
    List<String> formats = List.of("ogg", "m4a", "mp3", "webm", "flac", "oga");
    Map<String, float[]> alone = new java.util.HashMap<>();
    for (String f : formats) {
      alone.put(f, decoder.decode(files.get(f).bytes()).samples());
    }
    try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
      List<java.util.concurrent.Future<Boolean>> same = new java.util.ArrayList<>();
      for (int i = 0; i < 48; i++) {
        String f = formats.get(i % formats.size());
        byte[] bytes = files.get(f).bytes();
        same.add(pool.submit(() -> Arrays.equals(decoder.decode(bytes).samples(), alone.get(f))));
      }
      for (var s : same) {
        assertThat(s.get()).isTrue();
      }
    }
  }

  @Test
  void aFileDeclaringHoursIsRefusedBeforeDecoding() {
    AudioDecoder generous = new AudioDecoder(new CodecOptions(Duration.ofSeconds(1500)));
    byte[] bomb = Bombs.oggDeclaringHours(dir);
    long started = System.nanoTime();
    assertThatThrownBy(() -> generous.decode(bomb)).isInstanceOfSatisfying(ParleyException.class, e -> {
      assertThat(e.code()).contains(AudioDecoder.AUDIO_TOO_LONG);
      assertThat(e.getMessage()).contains("at most 1500 s").contains("PARLEY_TRANSCRIBE_MAX_SECONDS");
    });
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void aFileUnderstatingItsLengthIsStoppedOnceTheDecodedAudioPassesTheLimit() throws Exception {
    byte[] bomb = Files.readAllBytes(Bombs.mp3UnderstatingItsLength(dir));
    assertThatThrownBy(() -> decoder.decode(bomb)).isInstanceOfSatisfying(ParleyException.class, e ->
        assertThat(e.code()).contains(AudioDecoder.AUDIO_TOO_LONG));
    // Within the limit, the same kind of file decodes.
    AudioDecoder longer = new AudioDecoder(new CodecOptions(Duration.ofSeconds(700)));
    assertThat(longer.decode(bomb).seconds()).isCloseTo(601, org.assertj.core.data.Offset.offset(1.0));
  }

  @Test
  void garbageDamagedAndForeignFilesAreInvalidAndLeakNothing() throws Exception {
    byte[] m4a = files.get("m4a").bytes();
    byte[][] bad = {
        Bombs.garbage(50_000, 1),
        "this is not audio at all".getBytes(java.nio.charset.StandardCharsets.UTF_8),
        Arrays.copyOf(m4a, m4a.length / 3), // MP4 with its index (moov) cut off
        pngHeader(),
    };
    for (byte[] b : bad) {
      assertThatThrownBy(() -> decoder.decode(b)).isInstanceOfSatisfying(ParleyException.class, e -> {
        assertThat(e.reason()).isEqualTo(ParleyException.Reason.INVALID);
        assertThat(e.code().orElseThrow()).isIn(AudioDecoder.INVALID_AUDIO, AudioDecoder.UNSUPPORTED_AUDIO);
      });
    }
    assertThatThrownBy(() -> decoder.decode(new byte[0])).hasMessageContaining("empty");

    // Native memory stays flat over many refused and decoded files.
    for (int i = 0; i < 50; i++) {
      decodeAllAndRefuse(bad);
    }
    long before = NativeHeap.inUse();
    for (int i = 0; i < 300; i++) {
      decodeAllAndRefuse(bad);
    }
    long grown = NativeHeap.inUse() - before;
    // One leaked format context and its I/O buffer per round would be more than 300 x 32 KB.
    assertThat(grown).as("native heap growth over 300 rounds").isLessThan(4L << 20);
  }

  private void decodeAllAndRefuse(byte[][] bad) {
    for (byte[] b : bad) {
      try {
        decoder.decode(b);
      } catch (ParleyException expected) {
        // refused, as asserted above
      }
    }
    decoder.decode(files.get("ogg").bytes());
  }

  private static byte[] pngHeader() {
    return new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1,
        0, 0, 0, 1, 8, 2, 0, 0, 0};
  }
}
