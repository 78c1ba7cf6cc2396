package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.Multipart;
import io.parley.api.support.RealtimeClient;
import io.parley.api.support.Speech;
import io.parley.api.support.StandInLlm;
import io.parley.api.support.TestNode;
import io.parley.inference.audio.Pcm;
import io.parley.inference.audio.Wav;
import io.parley.inference.stt.Languages;
import io.parley.inference.stt.TinyWhisperModel;
import io.vertx.core.json.JsonObject;
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
 * Languages through a running node: Spanish espeak-ng speech, a tiny random-weight multilingual
 * Whisper (the language path is real, the words are nonsense), and a stand-in chat model that shows
 * what each answer was asked. Each realtime session transcribes in its own language, reports it in
 * the completed event, and asks for its answers in it; {@code /v1/audio/transcriptions} takes
 * {@code language} and says which in {@code verbose_json}; unknown codes are refused by name.
 */
class LanguagesEndToEndTest {

  private static Path dir;
  private static StandInLlm llm;
  private static TestNode node;
  private static String token;
  private static byte[] spanishWav;
  private static short[] spanish24k;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("parley-languages-");
    Path whisper = TinyWhisperModel.builder().nVocab(TinyWhisperModel.N_VOCAB_MULTILINGUAL)
        .write(dir.resolve("ggml-tiny-multilingual.bin"));
    Path wav = Speech.wav("es", "Hola. ¿Cuántas calorías tiene un plátano?", 24_000, dir, "spanish");
    spanishWav = Files.readAllBytes(wav);
    spanish24k = Wav.read(spanishWav).mono();
    llm = StandInLlm.start().always(StandInLlm.Reply.text("Vale."));
    node = TestNode.start(Map.of("PARLEY_WHISPER_MODEL", whisper.toString(), "PARLEY_LLM_BASE_URL", llm.baseUrl(),
        "PARLEY_LLM_MODEL", "stand-in"));
    token = new Api("http://127.0.0.1:" + node.server().httpPort()).newUser().getString("access_token");
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (llm != null) {
      llm.close();
    }
    if (dir != null) {
      TestNode.deleteTree(dir);
    }
  }

  /** A session with manual turns (no server VAD) in {@code language} (null: detect); checks session.updated. */
  private static RealtimeClient session(String language) throws Exception {
    RealtimeClient c = RealtimeClient.connect(node, token, "");
    c.next("session.created");
    c.send(new JsonObject().put("type", "session.update").put("session", new JsonObject()
        .put("output_modalities", new io.vertx.core.json.JsonArray().add("text"))
        .put("audio", new JsonObject().put("input", new JsonObject().putNull("turn_detection")
            .put("transcription", new JsonObject().put("model", "whisper").put("language", language))))));
    JsonObject updated = c.next("session.updated");
    assertThat(updated.getJsonObject("session").getJsonObject("audio").getJsonObject("input")
        .getJsonObject("transcription").getString("language")).isEqualTo(language);
    return c;
  }

  /** Sends the Spanish speech (in one-second appends) and commits it as the user's turn. */
  private static void speakSpanish(RealtimeClient c) throws Exception {
    for (int from = 0; from < spanish24k.length; from += 24_000) {
      short[] part = Arrays.copyOfRange(spanish24k, from, Math.min(spanish24k.length, from + 24_000));
      c.send(new JsonObject().put("type", "input_audio_buffer.append").put("audio", Pcm.toBase64(part)));
    }
    c.send(new JsonObject().put("type", "input_audio_buffer.commit"));
  }

  /** Whisper runs one call at a time on the node; the random weights decode long nonsense. */
  private static final Duration ENGINE_WAIT = Duration.ofSeconds(90);

  private static List<String> systemPrompts() {
    return llm.requests().stream().map(StandInLlm::systemPrompt).toList();
  }

  @Test
  void twoSessionsTranscribeAndAnswerEachInItsOwnLanguage() throws Exception {
    try (RealtimeClient es = session("es"); RealtimeClient de = session("de")) {
      speakSpanish(es);
      speakSpanish(de);

      JsonObject heardEs = es.next("conversation.item.input_audio_transcription.completed", ENGINE_WAIT);
      JsonObject heardDe = de.next("conversation.item.input_audio_transcription.completed", ENGINE_WAIT);
      assertThat(heardEs.getJsonArray("languages").getJsonObject(0).getString("code")).isEqualTo("es");
      assertThat(heardDe.getJsonArray("languages").getJsonObject(0).getString("code")).isEqualTo("de");
      assertThat(heardEs.getString("transcript")).isNotBlank();
      es.next("response.done", ENGINE_WAIT);
      de.next("response.done", ENGINE_WAIT);
    }
    assertThat(systemPrompts()).anySatisfy(p -> assertThat(p).endsWith("The user speaks Spanish: answer in Spanish."))
        .anySatisfy(p -> assertThat(p).endsWith("The user speaks German: answer in German."));
  }

  @Test
  void aSessionWithoutALanguageReportsTheOneWhisperDetected() throws Exception {
    try (RealtimeClient c = session(null)) {
      speakSpanish(c);
      JsonObject heard = c.next("conversation.item.input_audio_transcription.completed", ENGINE_WAIT);
      String code = heard.getJsonArray("languages").getJsonObject(0).getString("code");
      assertThat(code).isIn(Languages.CODES);
      c.next("response.done", ENGINE_WAIT);
      String name = Languages.englishName(code);
      assertThat(systemPrompts()).anySatisfy(p -> assertThat(p).endsWith("answer in " + name + "."));
    }
  }

  @Test
  void anUnknownLanguageIsRefusedByNameAndTheSessionKeepsItsOwn() throws Exception {
    try (RealtimeClient c = session("es")) {
      c.send(new JsonObject().put("type", "session.update").put("event_id", "evt_lang").put("session",
          new JsonObject().put("audio", new JsonObject().put("input", new JsonObject()
              .put("transcription", new JsonObject().put("language", "tlh"))))));
      JsonObject error = c.next("error").getJsonObject("error");
      assertThat(error.getString("code")).isEqualTo("invalid_value");
      assertThat(error.getString("param")).isEqualTo("session.audio.input.transcription.language");
      assertThat(error.getString("message")).contains("'tlh'");
      assertThat(error.getString("event_id")).isEqualTo("evt_lang");

      speakSpanish(c);
      JsonObject heard = c.next("conversation.item.input_audio_transcription.completed", ENGINE_WAIT);
      assertThat(heard.getJsonArray("languages").getJsonObject(0).getString("code")).isEqualTo("es");
    }
  }

  @Test
  void theTranscriptionEndpointTakesALanguageAndSaysItInVerboseJson() throws Exception {
    String url = "http://127.0.0.1:" + node.server().httpPort() + "/v1/audio/transcriptions";

    Api.Res spanish = Multipart.post(url, token, "file", spanishWav, "hola.wav",
        Map.of("model", "whisper-1", "language", "es", "response_format", "verbose_json"));
    assertThat(spanish.status()).as(spanish.body()).isEqualTo(200);
    assertThat(spanish.json().getString("language")).isEqualTo("spanish");
    assertThat(spanish.json().getString("text")).isNotBlank();

    Api.Res detected = Multipart.post(url, token, "file", spanishWav, "hola.wav",
        Map.of("model", "whisper-1", "response_format", "verbose_json"));
    assertThat(detected.status()).as(detected.body()).isEqualTo(200);
    assertThat(detected.json().getString("language"))
        .isIn(Languages.CODES.stream().map(c -> Languages.englishName(c).toLowerCase(java.util.Locale.ROOT)).toList());

    Api.Res unknown = Multipart.post(url, token, "file", spanishWav, "hola.wav",
        Map.of("model", "whisper-1", "language", "xx"));
    assertThat(unknown.status()).as(unknown.body()).isEqualTo(400);
    assertThat(unknown.body()).contains("'xx'").contains("language");
  }
}
