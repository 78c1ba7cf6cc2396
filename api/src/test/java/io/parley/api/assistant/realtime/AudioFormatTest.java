package io.parley.api.assistant.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.inference.audio.G711;
import io.parley.inference.audio.Pcm;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The session's audio formats: parsed from session.update, and converted to and from the pipeline's rate. */
class AudioFormatTest {

  private static final AudioFormat PCM24 = AudioFormat.pcm(24_000);

  private static AudioFormat parse(String json) throws RealtimeProtocolException {
    return AudioFormat.parse(new JsonObject(json), PCM24, "session.audio.input.format", "e1");
  }

  @Test
  void formatsParseAsTheGaSchemaNamesThem() throws Exception {
    assertThat(parse("{\"type\":\"audio/pcmu\"}")).isEqualTo(new AudioFormat("audio/pcmu", 8_000));
    assertThat(parse("{\"type\":\"audio/pcma\"}")).isEqualTo(new AudioFormat("audio/pcma", 8_000));
    assertThat(parse("{\"type\":\"audio/pcm\",\"rate\":24000}")).isEqualTo(PCM24);
    assertThat(parse("{\"type\":\"audio/pcm\",\"rate\":16000}")).isEqualTo(AudioFormat.pcm(16_000));
    assertThat(AudioFormat.parse(new JsonObject("{\"type\":\"audio/pcm\"}"), new AudioFormat("audio/pcmu", 8_000),
        "p", null)).as("back from G.711 without a rate: OpenAI's").isEqualTo(PCM24);
    assertThat(AudioFormat.parse(null, PCM24, "p", null)).isEqualTo(PCM24);
    assertThat(AudioFormat.parse("g711_ulaw", PCM24, "p", null)).as("the beta's name")
        .isEqualTo(new AudioFormat("audio/pcmu", 8_000));
    assertThat(AudioFormat.parse("g711_alaw", PCM24, "p", null)).isEqualTo(new AudioFormat("audio/pcma", 8_000));
    assertThat(AudioFormat.parse("pcm16", AudioFormat.pcm(16_000), "p", null)).isEqualTo(PCM24);
    assertThat(new AudioFormat("audio/pcmu", 8_000).toJson()).isEqualTo(new JsonObject().put("type", "audio/pcmu"));
    assertThat(PCM24.toJson()).isEqualTo(new JsonObject().put("type", "audio/pcm").put("rate", 24_000));
  }

  @Test
  void badFormatsAreNamed() {
    String[][] cases = {
        {"{\"type\":\"audio/opus\"}", "session.audio.input.format.type"},
        {"{\"type\":\"audio/pcm\",\"rate\":96000}", "session.audio.input.format.rate"},
        {"{\"type\":\"audio/pcm\",\"rate\":\"fast\"}", "session.audio.input.format.rate"},
    };
    for (String[] c : cases) {
      assertThatThrownBy(() -> parse(c[0])).as(c[0]).isInstanceOfSatisfying(RealtimeProtocolException.class, e -> {
        assertThat(e.code()).isEqualTo("invalid_value");
        assertThat(e.param()).isEqualTo(c[1]);
        assertThat(e.eventId()).isEqualTo("e1");
      });
    }
    assertThatThrownBy(() -> AudioFormat.parse("opus", PCM24, "session.audio.output.format", null))
        .isInstanceOfSatisfying(RealtimeProtocolException.class,
            e -> assertThat(e.param()).isEqualTo("session.audio.output.format"));
    assertThatThrownBy(() -> AudioFormat.parse(3, PCM24, "session.audio.output.format", null))
        .isInstanceOfSatisfying(RealtimeProtocolException.class,
            e -> assertThat(e.param()).isEqualTo("session.audio.output.format"));
  }

  @Test
  void aPartialPcm16SampleIsInvalidAudioButG711TakesAnyByteCount() throws Exception {
    AudioFormat.Transcoder pcm = AudioFormat.Transcoder.input(PCM24, 24_000);
    assertThatThrownBy(() -> pcm.decode(new byte[3], "audio", "e2"))
        .isInstanceOfSatisfying(RealtimeProtocolException.class, e -> {
          assertThat(e.code()).isEqualTo("invalid_audio");
          assertThat(e.param()).isEqualTo("audio");
        });
    assertThat(pcm.decode(new byte[] {1, 0, (byte) 0xFF, 0x7F}, "audio", null)).containsExactly((short) 1,
        Short.MAX_VALUE);
    AudioFormat.Transcoder mu = AudioFormat.Transcoder.input(new AudioFormat("audio/pcmu", 8_000), 8_000);
    assertThat(mu.decode(new byte[] {(byte) 0xFF, (byte) 0x80, 0x00}, "audio", null))
        .containsExactly((short) 0, (short) 32124, (short) -32124);
  }

  /** A 1 kHz tone at 8 kHz mu-law comes into a 24 kHz pipeline, and goes back out, as the same tone. */
  @Test
  void g711IsResampledToAndFromThePipelinesRate() throws Exception {
    short[] tone = new short[8_000];
    for (int i = 0; i < tone.length; i++) {
      tone[i] = (short) (10_000 * Math.sin(2 * Math.PI * 1_000 * i / 8_000.0));
    }
    AudioFormat mu = new AudioFormat("audio/pcmu", 8_000);
    byte[] wire = G711.Law.MU_LAW.encode(tone);
    AudioFormat.Transcoder in = AudioFormat.Transcoder.input(mu, 24_000);
    short[] pipeline = new short[0];
    for (int at = 0; at < wire.length; at += 160) { // 20 ms RTP packets
      short[] part = in.decode(java.util.Arrays.copyOfRange(wire, at, at + 160), "audio", null);
      pipeline = concat(pipeline, part);
    }
    assertThat(pipeline.length).as("three times the samples, less the resampler's hold-back")
        .isBetween(3 * tone.length - 100, 3 * tone.length);
    assertThat(Pcm.rms(pipeline) * 32_768).isCloseTo(10_000 / Math.sqrt(2), org.assertj.core.data.Offset.offset(500.0));
    AudioFormat.Transcoder out = AudioFormat.Transcoder.output(24_000, mu);
    byte[] back = out.encode(pipeline);
    short[] heard = G711.Law.MU_LAW.decode(back);
    double error = 0;
    for (int i = 100; i < heard.length - 100; i++) {
      error += Math.abs(heard[i] - tone[i]);
    }
    assertThat(error / (heard.length - 200)).as("mean error against the tone").isLessThan(600);
  }

  private static short[] concat(short[] a, short[] b) {
    short[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
