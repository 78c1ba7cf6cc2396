package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.RealtimeClient;
import io.parley.api.support.StandInLlm;
import io.parley.api.support.TestNode;
import io.parley.inference.audio.Pcm;
import io.parley.inference.audio.Wav;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Voices and speed on a node with the default engines (FreeTTS for English, eSpeak NG for the rest,
 * Debian's real libespeak-ng1): {@code voice} and {@code speed} of {@code /v1/audio/speech}, and a
 * realtime session whose {@code audio.output.voice} is Spanish speaking the stand-in model's answer.
 */
class SpeechVoicesTest {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final double SILENCE_RMS = 0.01;

  private static StandInLlm llm;
  private static TestNode node;
  private static String base;
  private static String token;

  @BeforeAll
  static void start() throws Exception {
    llm = StandInLlm.start();
    node = TestNode.start(Map.of("PARLEY_LLM_BASE_URL", llm.baseUrl(), "PARLEY_LLM_MODEL", "stand-in"));
    base = "http://127.0.0.1:" + node.server().httpPort();
    token = new Api(base).newUser().getString("access_token");
  }

  @AfterAll
  static void stop() throws Exception {
    TestNode.closeAll(node, llm);
  }

  private static HttpResponse<byte[]> speech(JsonObject body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/audio/speech"))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static Wav.Audio spoken(String text, String voice, double speed) throws Exception {
    HttpResponse<byte[]> r = speech(new JsonObject().put("model", "tts-1").put("input", text).put("voice", voice)
        .put("speed", speed));
    assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("audio/wav");
    return Wav.read(r.body());
  }

  @Test
  void speechSpeaksTheVoiceOfALanguageAtTheAskedSpeed() throws Exception {
    String spanish = "Buenos días. Beba un vaso de agua y camine un poco después de comer.";
    Wav.Audio normal = spoken(spanish, "es", 1.0);
    assertThat(normal.sampleRate()).isEqualTo(24_000);
    assertThat(Pcm.rms(normal.mono())).isGreaterThan(SILENCE_RMS);
    assertThat(normal.seconds()).isBetween(2.0, 8.0);
    Wav.Audio fast = spoken(spanish, "es", 2.0);
    assertThat(fast.seconds() / normal.seconds()).as("twice as fast").isBetween(0.4, 0.65);

    for (String voice : List.of("fr", "de", "hi", "ar", "cmn", "ja", "ko", "alloy", "kevin16")) {
      Wav.Audio a = spoken("1, 2, 3.", voice, 1.0);
      assertThat(Pcm.rms(a.mono())).as(voice).isGreaterThan(SILENCE_RMS);
    }
  }

  @Test
  void anUnknownVoiceOrASpeedOutOfRangeIsRefusedNamingWhatIsValid() throws Exception {
    HttpResponse<byte[]> unknown = speech(new JsonObject().put("input", "Hello.").put("voice", "klingon"));
    assertThat(unknown.statusCode()).isEqualTo(400);
    JsonObject error = new JsonObject(new String(unknown.body())).getJsonObject("error");
    assertThat(error.getString("message")).contains("unknown voice 'klingon'").contains("kevin16").contains(", es, ");

    for (Object speed : List.of(0.2, 4.5, "fast")) {
      HttpResponse<byte[]> r = speech(new JsonObject().put("input", "Hello.").put("speed", speed));
      assertThat(r.statusCode()).as(String.valueOf(speed)).isEqualTo(400);
      assertThat(new String(r.body())).contains("speed must be a number from 0.25 to 4.0");
    }
    HttpResponse<byte[]> number = speech(new JsonObject().put("input", "Hello.").put("voice", 7));
    assertThat(number.statusCode()).isEqualTo(400);
  }

  @Test
  void aRealtimeSessionSpeaksItsAnswerWithASpanishVoice() throws Exception {
    llm.always(body -> new StandInLlm.Answer("Hola. Beba un vaso de agua antes de dormir.", List.of()));
    try (RealtimeClient rt = RealtimeClient.connect(node, token, "")) {
      rt.next("session.created");
      rt.send(new JsonObject().put("type", "session.update").put("session", new JsonObject().put("type", "realtime")
          .put("audio", new JsonObject().put("output", new JsonObject().put("voice", "klingon")))));
      JsonObject refused = rt.next("error").getJsonObject("error");
      assertThat(refused.getString("param")).isEqualTo("session.audio.output.voice");
      assertThat(refused.getString("message")).contains("unknown voice 'klingon'").contains(", es, ");

      rt.send(new JsonObject().put("type", "session.update").put("session", new JsonObject().put("type", "realtime")
          .put("audio", new JsonObject().put("output", new JsonObject().put("voice", "es").put("speed", 1.25)))));
      JsonObject output = rt.next("session.updated").getJsonObject("session").getJsonObject("audio")
          .getJsonObject("output");
      assertThat(output.getString("voice")).isEqualTo("es");
      assertThat(output.getDouble("speed")).isEqualTo(1.25);

      rt.say("Hola, ¿qué debo hacer esta noche?");
      ByteArrayOutputStream audio = new ByteArrayOutputStream();
      JsonObject delta = rt.next("response.output_audio.delta");
      while (delta != null) {
        audio.writeBytes(Base64.getDecoder().decode(delta.getString("delta")));
        delta = rt.nextOrDone("response.output_audio.delta", "response.done");
      }
      short[] pcm = Pcm.fromLittleEndian(audio.toByteArray(), 0, audio.size() & ~1);
      assertThat(Pcm.rms(pcm)).as("the answer is heard").isGreaterThan(SILENCE_RMS);
      assertThat(pcm.length / 24_000.0).as("seconds of the spoken answer").isBetween(1.0, 8.0);
    } finally {
      llm.always(body -> new StandInLlm.Answer("OK.", List.of()));
    }
  }
}
