package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import io.parley.api.support.Api;
import io.parley.api.support.Multipart;
import io.parley.api.support.TestNode;
import io.parley.inference.audio.codec.Bombs;
import io.parley.inference.audio.codec.EncodedSpeech;
import io.parley.inference.stt.TinyWhisperModel;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code /v1/audio/transcriptions} and {@code /v1/audio/speech} on a node with the tiny
 * random-weight Whisper and FreeTTS: espeak-ng speech in several languages encoded by Debian's tools
 * into every format OpenAI accepts, every response format, bombs and garbage; speech in every
 * output format read back by ffprobe. The words are nonsense (random weights): the pipeline,
 * decoding and formats are what is checked.
 */
class AudioApiTest {

  /** A short limit, so the bomb that understates its length is caught by decoding a minute, not 25. */
  static final int MAX_SECONDS = 60;

  static Path dir;
  static TestNode node;
  static String token;
  static Map<String, EncodedSpeech.File> english;
  static double englishSeconds;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("parley-audio-api-");
    // Multilingual (the default model is too): speech in other languages may name its language.
    Path whisper = TinyWhisperModel.builder().nVocab(TinyWhisperModel.N_VOCAB_MULTILINGUAL)
        .write(dir.resolve("tiny-whisper.bin"));
    Path speech = EncodedSpeech.speak("Please log my breakfast: two eggs and a slice of toast.", "en-us", dir, "en");
    englishSeconds = EncodedSpeech.probeSeconds(speech);
    english = EncodedSpeech.everyFormat(speech, dir);
    node = TestNode.start(Map.of("PARLEY_WHISPER_MODEL", whisper.toString(),
        "PARLEY_TRANSCRIBE_MAX_SECONDS", Integer.toString(MAX_SECONDS), "PARLEY_RATE_LIMIT_VOICE_PER_MINUTE", "1000"));
    token = node.api().newUser().getString("access_token");
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    TestNode.deleteTree(dir);
  }

  static Api.Res transcribe(byte[] file, String name, Map<String, String> fields) throws Exception {
    return Multipart.post(node.baseUrl() + "/v1/audio/transcriptions", token, "file", file, name, fields);
  }

  @Test
  void everyAcceptedFormatIsTranscribedWithItsDuration() throws Exception {
    for (EncodedSpeech.File f : english.values()) {
      Api.Res r = transcribe(f.bytes(), "speech." + f.extension(), Map.of("model", "whisper-1",
          "response_format", "verbose_json"));
      assertThat(r.status()).as("%s (%s): %s", f.extension(), f.description(), r.body()).isEqualTo(200);
      JsonObject json = r.json();
      assertThat(json.getDouble("duration")).as(f.extension()).isCloseTo(englishSeconds, offset(0.15));
      assertThat(json.getString("text")).as(f.extension()).isNotBlank();
      // Detected (random weights: any of Whisper's), named as OpenAI's whisper-1 names it.
      assertThat(json.getString("language")).as(f.extension()).isIn(io.parley.inference.stt.Languages.CODES.stream()
          .map(c -> io.parley.inference.stt.Languages.englishName(c).toLowerCase(java.util.Locale.ROOT)).toList());
    }
  }

  @Test
  void speechInOtherLanguagesIsDecodedFromEveryFormat() throws Exception {
    Map<String, String> sentences = new LinkedHashMap<>();
    sentences.put("es", "Por favor, registra mi desayuno: dos huevos y una tostada.");
    sentences.put("fr", "Note mon petit déjeuner, s'il te plaît : deux œufs et une tartine.");
    sentences.put("de", "Bitte trage mein Frühstück ein: zwei Eier und eine Scheibe Toast.");
    sentences.put("hi", "कृपया मेरा नाश्ता दर्ज करें।");
    for (var e : sentences.entrySet()) {
      Path wav = EncodedSpeech.speak(e.getValue(), e.getKey(), dir, "speech-" + e.getKey());
      double seconds = EncodedSpeech.probeSeconds(wav);
      for (EncodedSpeech.File f : EncodedSpeech.everyFormat(wav, dir).values()) {
        String name = f.path().getFileName().toString();
        Api.Res r = transcribe(f.bytes(), name, Map.of("response_format", "verbose_json", "language", e.getKey()));
        assertThat(r.status()).as("%s (%s): %s", name, f.description(), r.body()).isEqualTo(200);
        assertThat(r.json().getString("language")).as(name)
            .isEqualTo(io.parley.inference.stt.Languages.englishName(e.getKey()).toLowerCase(java.util.Locale.ROOT));
        assertThat(r.json().getDouble("duration")).as(name).isCloseTo(seconds, offset(0.15));
      }
    }
  }

  @Test
  void everyResponseFormatRendersWithItsContentType() throws Exception {
    byte[] ogg = english.get("ogg").bytes();

    Api.Res json = transcribe(ogg, "a.ogg", Map.of());
    assertThat(json.status()).isEqualTo(200);
    assertThat(json.header("Content-Type")).startsWith("application/json");
    assertThat(json.json().fieldNames()).containsExactly("text");

    Api.Res text = transcribe(ogg, "a.ogg", Map.of("response_format", "text"));
    assertThat(text.header("Content-Type")).isEqualTo("text/plain; charset=utf-8");
    assertThat(text.body()).isEqualTo(json.json().getString("text"));

    Api.Res verbose = transcribe(ogg, "a.ogg", Map.of("response_format", "verbose_json"));
    JsonObject v = verbose.json();
    assertThat(v.getString("task")).isEqualTo("transcribe");
    assertThat(v.getString("text")).isEqualTo(text.body()); // one transcription, whatever the format
    JsonArray segments = v.getJsonArray("segments");
    assertThat(segments).isNotEmpty();
    double previous = 0;
    for (int i = 0; i < segments.size(); i++) {
      JsonObject s = segments.getJsonObject(i);
      assertThat(s.getInteger("id")).isEqualTo(i);
      assertThat(s.getDouble("start")).isGreaterThanOrEqualTo(previous);
      assertThat(s.getDouble("end")).isGreaterThanOrEqualTo(s.getDouble("start"))
          .isLessThanOrEqualTo(v.getDouble("duration") + 0.001);
      previous = s.getDouble("end");
    }

    Api.Res srt = transcribe(ogg, "a.ogg", Map.of("response_format", "srt"));
    assertThat(srt.header("Content-Type")).isEqualTo("application/x-subrip; charset=utf-8");
    assertThat(srt.body()).matches("(?s)1\n\\d\\d:\\d\\d:\\d\\d,\\d{3} --> \\d\\d:\\d\\d:\\d\\d,\\d{3}\n.+\n\n");
    assertThat(srt.body().split("\n\n")).hasSize(segments.size());

    Api.Res vtt = transcribe(ogg, "a.ogg", Map.of("response_format", "vtt"));
    assertThat(vtt.header("Content-Type")).isEqualTo("text/vtt; charset=utf-8");
    assertThat(vtt.body()).matches("(?s)WEBVTT\n\n\\d\\d:\\d\\d:\\d\\d\\.\\d{3} --> \\d\\d:\\d\\d:\\d\\d\\.\\d{3}\n.+\n\n");

    Api.Res unknown = transcribe(ogg, "a.ogg", Map.of("response_format", "xml"));
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.error().getString("message")).contains("json, text, verbose_json, srt, vtt");
  }

  @Test
  void bombsAreRefusedQuicklyWith413() throws Exception {
    long started = System.nanoTime();
    Api.Res declared = transcribe(Bombs.oggDeclaringHours(dir), "hours.ogg", Map.of());
    assertThat(declared.status()).as(declared.body()).isEqualTo(413);
    assertThat(declared.error().getString("code")).isEqualTo("audio_too_long");
    assertThat(declared.error().getString("message")).contains("at most " + MAX_SECONDS + " s");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));

    Api.Res understated = transcribe(Files.readAllBytes(Bombs.mp3UnderstatingItsLength(dir)), "quiet.mp3", Map.of());
    assertThat(understated.status()).as(understated.body()).isEqualTo(413);
    assertThat(understated.error().getString("code")).isEqualTo("audio_too_long");
  }

  @Test
  void garbageIsA400AndTheNodeStaysWell() throws Exception {
    for (int i = 0; i < 20; i++) {
      Api.Res r = transcribe(Bombs.garbage(20_000 + i, i), "noise.mp3", Map.of());
      assertThat(r.status()).as(r.body()).isEqualTo(400);
      assertThat(r.error().getString("code")).isEqualTo("invalid_audio");
      assertThat(r.error().getString("message")).contains("not an audio file");
    }
    Api.Res empty = transcribe(new byte[0], "empty.wav", Map.of());
    assertThat(empty.status()).isEqualTo(400);
    Api.Res missing = transcribe(null, null, Map.of("model", "whisper-1"));
    assertThat(missing.status()).isEqualTo(400);
    assertThat(transcribe(english.get("webm").bytes(), "a.webm", Map.of()).status()).isEqualTo(200);
  }

  @Test
  void speechComesInEveryFormatFfprobeReads() throws Exception {
    // WAV at the engine's own rate: the default engine (FreeTTS and eSpeak NG) speaks at 24 kHz.
    Map<String, String> expected = Map.of("wav", "pcm_s16le 24000 1", "pcm", "pcm_s16le 24000 1",
        "opus", "opus 48000 1", "mp3", "mp3 24000 1");
    Map<String, String> types = Map.of("wav", "audio/wav", "pcm", "audio/pcm", "opus", "audio/ogg", "mp3", "audio/mpeg");
    double wavSeconds = -1;
    for (String format : List.of("wav", "pcm", "opus", "mp3")) {
      HttpResponse<byte[]> r = speech(new JsonObject().put("model", "tts-1").put("voice", "alloy")
          .put("input", "Drink a glass of water before lunch.").put("response_format", format));
      assertThat(r.statusCode()).as(format).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type")).contains(types.get(format));
      Path file = dir.resolve("speech." + format);
      Files.write(file, r.body());
      if (format.equals("pcm")) {
        // raw: tell ffprobe what it is
        Path wav = dir.resolve("speech-pcm.wav");
        EncodedSpeech.run(List.of("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "s16le", "-ar", "24000",
            "-ac", "1", "-i", file.toString(), "-c:a", "pcm_s16le", wav.toString()), "ffmpeg");
        assertThat(EncodedSpeech.probeSeconds(wav)).isCloseTo(wavSeconds, offset(0.05));
        assertThat(EncodedSpeech.probeStream(wav)).isEqualTo(expected.get(format));
        continue;
      }
      assertThat(EncodedSpeech.probeStream(file)).as(format).isEqualTo(expected.get(format));
      double seconds = EncodedSpeech.probeSeconds(file);
      if (format.equals("wav")) {
        wavSeconds = seconds;
        assertThat(seconds).isGreaterThan(1.0);
      } else {
        assertThat(seconds).as(format).isCloseTo(wavSeconds, offset(0.15));
      }
    }
    HttpResponse<byte[]> aac = speech(new JsonObject().put("input", "Hello.").put("response_format", "aac"));
    assertThat(aac.statusCode()).isEqualTo(400);
    assertThat(new String(aac.body(), java.nio.charset.StandardCharsets.UTF_8)).contains("wav, pcm, opus, mp3");
  }

  /** Every malformed speech body is a 400 in the error shape (they were 500s: truncated JSON, arrays, NaN...). */
  @Test
  void malformedSpeechBodiesAre400s() throws Exception {
    List<byte[]> bodies = new java.util.ArrayList<>();
    for (String b : List.of("{\"input\": \"hi\"", "hello", "[1, 2]", "\"a string\"", "{\"input\": \"hi\"} trailing",
        "{\"input\": NaN}", "{\"input\": \"hi\", \"response_format\": 5}", "{\"input\": \"hi\", \"voice\": 5}",
        "{\"input\": \"hi\", \"speed\": \"fast\"}", "{\"input\": 7}", "", "null")) {
      bodies.add(b.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    bodies.add(("[".repeat(10_000) + "]".repeat(10_000)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    bodies.add(new byte[] {'{', '"', 'i', 'n', 'p', 'u', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'});
    for (byte[] body : bodies) {
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              URI.create(node.baseUrl() + "/v1/audio/speech")).timeout(Duration.ofSeconds(30))
          .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
      String shown = new String(body, 0, Math.min(body.length, 40), java.nio.charset.StandardCharsets.UTF_8);
      assertThat(r.statusCode()).as("%s -> %s", shown, r.body()).isEqualTo(400);
      assertThat(new JsonObject(r.body()).getJsonObject("error").getString("code")).as(shown).isNotBlank();
    }
    assertThat(node.api().get("/health/live", null).status()).isEqualTo(200);
  }

  private static HttpResponse<byte[]> speech(JsonObject body) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/v1/audio/speech"))
        .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }
}
