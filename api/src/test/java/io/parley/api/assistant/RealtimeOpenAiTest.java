package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.NodeScript;
import io.parley.api.support.Poll;
import io.parley.api.support.Speech;
import io.parley.api.support.TestNode;
import io.parley.api.support.TestTls;
import io.parley.inference.llm.TinyGguf;
import io.parley.inference.stt.TinyWhisperModel;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The assistant end to end with a client nobody here wrote: the {@code openai} npm package's
 * Realtime WebSocket client streams espeak-ng speech in real time to {@code /v1/realtime}; Parley
 * runs the real engines (Silero VAD, whisper.cpp and llama.cpp on tiny random-weight model files,
 * FreeTTS), so the words are nonsense but every stage, thread and event is real.
 */
class RealtimeOpenAiTest {

  private static Path dir;
  private static TestNode node;
  private static String token;
  private static Path speech;
  private static Path speechAgain;
  private static TestTls tls;
  private static Api api;

  @BeforeAll
  static void start() throws Exception {
    NodeScript.requirePackages("openai", "ws");
    dir = Files.createTempDirectory("parley-realtime-");
    tls = TestTls.create(dir);
    Path whisper = TinyWhisperModel.builder().write(dir.resolve("tiny-whisper.bin"));
    Path llama = TinyGguf.write(dir.resolve("tiny-llama.gguf"));
    speech = Speech.wav("Hello there. How many calories are in a banana?", 24_000, dir, "question");
    speechAgain = Speech.wav("Wait, stop. Tell me about apples instead, please.", 24_000, dir, "interrupt");
    node = TestNode.start(Map.of(
        "PARLEY_TLS_CERT", tls.cert().toString(),
        "PARLEY_TLS_KEY", tls.key().toString(),
        "PARLEY_WHISPER_MODEL", whisper.toString(),
        "PARLEY_LLAMA_MODEL", llama.toString(),
        "PARLEY_LLM_MAX_TOKENS", "48",
        // Barge-in as soon as the VAD's minimum speech (250 ms) says the user is talking.
        "PARLEY_VOICE_BARGE_IN_MS", "250"));
    api = new Api("https://127.0.0.1:" + node.server().httpPort(), tls.client());
    token = api.newUser().getString("access_token");
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    if (dir != null) {
      TestNode.deleteTree(dir);
    }
  }

  private static JsonObject run(List<String> extra) throws Exception {
    List<String> args = new ArrayList<>(List.of(
        "--base", "https://127.0.0.1:" + node.server().httpPort() + "/v1",
        "--token", token, "--wav", speech.toString(), "--timeout-ms", "90000"));
    args.addAll(extra);
    try (NodeScript script = NodeScript.start(NodeScript.repositoryRoot().resolve("api/src/test/js/realtime-openai.mjs"),
        args, Map.of("NODE_EXTRA_CA_CERTS", tls.cert().toString()))) {
      int code = script.await(Duration.ofSeconds(120));
      String line = script.lastLine();
      assertThat(line).as("result line; stderr:\n" + script.stderr()).isNotNull();
      JsonObject result = new JsonObject(line);
      assertThat(code).as("exit code; result " + result.encodePrettily() + "\nstderr:\n" + script.stderr()).isZero();
      return result;
    }
  }

  private static List<String> types(JsonObject result) {
    List<String> out = new ArrayList<>();
    for (Object o : result.getJsonArray("events")) {
      out.add(((JsonObject) o).getString("type"));
    }
    return out;
  }

  @Test
  void aSpokenTurnGetsTranscribedAnsweredAndSpokenBack() throws Exception {
    JsonObject result = run(List.of());
    List<String> types = types(result);
    assertThat(types).as("no error events").doesNotContain("error");
    assertThat(types).containsSubsequence(
        "session.created",
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.input_audio_transcription.completed",
        "response.created",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_audio_transcript.delta",
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.done");
    assertThat(result.getLong("audio_bytes")).as("TTS audio came back").isGreaterThan(24_000L);
    JsonObject done = result.getJsonArray("responses").getJsonObject(0);
    assertThat(done.getString("status")).isEqualTo("completed");
    JsonObject timings = done.getJsonObject("timings");
    assertThat(timings.getDouble("end_of_speech_to_transcript_ms")).isPositive();
    assertThat(timings.getDouble("end_of_speech_to_first_token_ms"))
        .isGreaterThanOrEqualTo(timings.getDouble("end_of_speech_to_transcript_ms"));
    assertThat(timings.getDouble("end_of_speech_to_first_audio_ms"))
        .isGreaterThanOrEqualTo(timings.getDouble("end_of_speech_to_first_token_ms"));
    assertThat(timings.getDouble("end_of_speech_to_done_ms"))
        .isGreaterThanOrEqualTo(timings.getDouble("end_of_speech_to_first_audio_ms"));

    // The conversation was stored: the user's transcript and the assistant's answer.
    JsonArray conversations = api.get("/api/v1/conversations", token).json().getJsonArray("items");
    assertThat(conversations).isNotEmpty();
    String id = conversations.getJsonObject(0).getString("id");
    JsonArray messages = api.get("/api/v1/conversations/" + id + "/messages", token).json().getJsonArray("items");
    assertThat(messages.stream().map(m -> ((JsonObject) m).getString("role")).toList()).containsSubsequence("user",
        "assistant");
  }

  @Test
  void theOpenAiClientsFirstEventsSentOnOpenAreAnswered() throws Exception {
    JsonObject result = run(List.of("--text-on-open", "How many calories are in a banana?"));
    List<String> types = types(result);
    assertThat(types).as("no error events").doesNotContain("error");
    assertThat(types).containsSubsequence("session.created", "session.updated", "conversation.item.added",
        "conversation.item.done", "response.created", "response.done");
    assertThat(result.getJsonArray("responses").getJsonObject(0).getString("status")).isEqualTo("completed");
  }

  /** session.update, conversation.item.create and response.create written right after the handshake. */
  private static void sendFirstEvents(java.net.http.WebSocket ws) throws Exception {
    ws.sendText(new JsonObject().put("type", "session.update").put("session", new JsonObject()
        .put("output_modalities", new JsonArray().add("text"))).encode(), true).get();
    ws.sendText(new JsonObject().put("type", "conversation.item.create").put("item", new JsonObject()
        .put("type", "message").put("role", "user").put("content", new JsonArray().add(new JsonObject()
            .put("type", "input_text").put("text", "What is in an apple?")))).encode(), true).get();
    ws.sendText(new JsonObject().put("type", "response.create").encode(), true).get();
  }

  /** The types of the events up to and including the first {@code last}. */
  private static List<JsonObject> until(java.util.concurrent.BlockingQueue<JsonObject> inbox, String last)
      throws InterruptedException {
    List<JsonObject> seen = new ArrayList<>();
    JsonObject e;
    do {
      e = inbox.poll(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(e).as(last + " within 30 s; seen " + seen).isNotNull();
      seen.add(e);
    } while (!last.equals(e.getString("type")));
    return seen;
  }

  @Test
  void eventsSentTheMomentTheSocketOpensAreNotLostOnANewOrAResumedSession() throws Exception {
    var inbox = new java.util.concurrent.LinkedBlockingQueue<JsonObject>();
    java.net.http.WebSocket first = connect("", inbox);
    sendFirstEvents(first);
    List<JsonObject> seen = until(inbox, "response.done");
    assertThat(seen.stream().map(e -> e.getString("type")).toList()).as(seen.toString()).doesNotContain("error")
        .containsSubsequence("session.created", "session.updated", "conversation.item.added", "response.created",
            "response.output_text.delta", "response.done");
    String resume = seen.get(0).getJsonObject("session").getJsonObject("parley").getString("resume_token");
    first.abort();

    var again = new java.util.concurrent.LinkedBlockingQueue<JsonObject>();
    java.net.http.WebSocket second = connect("?resume=" + resume, again);
    try {
      sendFirstEvents(second);
      List<JsonObject> resumed = until(again, "response.done");
      assertThat(resumed.get(0).getJsonObject("session").getJsonObject("parley").getBoolean("resumed")).isTrue();
      assertThat(resumed.stream().map(e -> e.getString("type")).toList()).as(resumed.toString())
          .doesNotContain("error").containsSubsequence("session.created", "session.updated",
              "conversation.item.added", "response.created", "response.done");
    } finally {
      second.abort();
    }
  }

  @Test
  void badInputGetsErrorEventsAndTheSessionLivesOn() throws Exception {
    java.util.concurrent.BlockingQueue<JsonObject> inbox = new java.util.concurrent.LinkedBlockingQueue<>();
    java.net.http.WebSocket ws = connect("", inbox);
    try {
      assertThat(next(inbox).getString("type")).isEqualTo("session.created");
      String[][] cases = {
          {"{\"type\":\"input_audio_buffer.append\",\"audio\":\"AA==\"}", "invalid_audio"},
          {"{\"type\":\"input_audio_buffer.append\",\"audio\":\"!!not base64!!\"}", "invalid_base64"},
          {"{\"type\":\"input_audio_buffer.append\",\"audio\":\"" + "A".repeat(10 * 1024 * 1024) + "\"}",
              "audio_too_large"},
          {"{\"type\":\"teleport\"}", "unknown_event"},
          {"not json", "invalid_json"},
          {"{\"type\":\"conversation.item.truncate\",\"item_id\":\"x\",\"audio_end_ms\":-5}", "invalid_value"},
      };
      for (String[] c : cases) {
        ws.sendText(c[0], true).get(10, java.util.concurrent.TimeUnit.SECONDS);
        JsonObject e = next(inbox);
        assertThat(e.getString("type")).as(c[1]).isEqualTo("error");
        assertThat(e.getJsonObject("error").getString("code")).isEqualTo(c[1]);
      }
      ws.sendBinary(java.nio.ByteBuffer.wrap(new byte[3]), true).get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(next(inbox).getJsonObject("error").getString("code")).isEqualTo("invalid_audio");
      ws.sendText(new JsonObject().put("type", "session.update").put("session", new JsonObject()
          .put("parley", new JsonObject().put("personality", "minimalist"))).encode(), true).get();
      JsonObject updated = next(inbox);
      assertThat(updated.getString("type")).as("the session lives on").isEqualTo("session.updated");
      assertThat(updated.getJsonObject("session").getJsonObject("parley").getString("personality"))
          .isEqualTo("minimalist");
    } finally {
      ws.abort();
    }
  }

  private static java.net.http.WebSocket connect(String query, java.util.concurrent.BlockingQueue<JsonObject> inbox)
      throws Exception {
    return tls.client().newWebSocketBuilder()
        .header("Authorization", "Bearer " + token)
        .buildAsync(java.net.URI.create("wss://127.0.0.1:" + node.server().httpPort() + "/v1/realtime" + query),
            new io.parley.api.support.RealtimeClient.Inbox(inbox)).get(10, java.util.concurrent.TimeUnit.SECONDS);
  }

  @Test
  void aDroppedSessionResumesItsConversationWithItsToken() throws Exception {
    var inbox = new java.util.concurrent.LinkedBlockingQueue<JsonObject>();
    java.net.http.WebSocket first = connect("", inbox);
    JsonObject created = next(inbox).getJsonObject("session").getJsonObject("parley");
    String resume = created.getString("resume_token");
    String conversation = created.getString("conversation_id");
    assertThat(resume).hasSizeGreaterThan(20);
    JsonArray tools = new JsonArray().add(new JsonObject().put("type", "function").put("name", "show_recipe")
        .put("description", "Shows a recipe in the app").put("parameters", new JsonObject().put("type", "object")
            .put("properties", new JsonObject().put("dish", new JsonObject().put("type", "string")))));
    first.sendText(new JsonObject().put("type", "session.update").put("session", new JsonObject()
        .put("audio", new JsonObject().put("input", new JsonObject().putNull("turn_detection")))
        .put("instructions", "Call me Sam.").put("output_modalities", new JsonArray().add("text"))
        .put("tools", tools).put("tool_choice", "required")
        .put("parley", new JsonObject().put("personality", "friend").put("tools", false))).encode(), true).get();
    assertThat(next(inbox).getString("type")).isEqualTo("session.updated");
    first.abort();

    var again = new java.util.concurrent.LinkedBlockingQueue<JsonObject>();
    java.net.http.WebSocket second = connect("?resume=" + resume, again);
    try {
      JsonObject session = next(again).getJsonObject("session");
      JsonObject parley = session.getJsonObject("parley");
      assertThat(parley.getBoolean("resumed")).isTrue();
      assertThat(parley.getString("conversation_id")).isEqualTo(conversation);
      assertThat(parley.getString("personality")).isEqualTo("friend");
      assertThat(session.getString("instructions")).endsWith("Call me Sam.");
      assertThat(session.getJsonArray("output_modalities")).containsExactly("text");
      assertThat(session.getJsonArray("tools")).as("the client's tools are kept").isEqualTo(tools);
      assertThat(session.getValue("tool_choice")).isEqualTo("required");
      assertThat(parley.getBoolean("tools")).as("server tools stay off").isFalse();
      assertThat(parley.getString("resume_token")).as("a fresh token each time").isNotEqualTo(resume);
    } finally {
      second.abort();
    }
    var stale = new java.util.concurrent.LinkedBlockingQueue<JsonObject>();
    java.net.http.WebSocket third = connect("?resume=" + resume, stale);
    try {
      JsonObject e = next(stale);
      assertThat(e.getString("type")).isEqualTo("error");
      assertThat(e.getJsonObject("error").getString("code")).as("a token resumes once").isEqualTo("resume_failed");
      JsonObject fresh = next(stale).getJsonObject("session").getJsonObject("parley");
      assertThat(fresh.getBoolean("resumed")).isFalse();
      assertThat(fresh.getString("conversation_id")).isNotEqualTo(conversation);
    } finally {
      third.abort();
    }
  }

  private static JsonObject next(java.util.concurrent.BlockingQueue<JsonObject> inbox) throws InterruptedException {
    JsonObject e = inbox.poll(10, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(e).as("an event within 10 s").isNotNull();
    return e;
  }

  @Test
  void speakingOverTheAnswerCancelsItAndStoresWhatWasHeard() throws Exception {
    JsonObject result = run(List.of("--barge-in-wav", speechAgain.toString(), "--barge-in-after-ms", "1000"));
    JsonArray responses = result.getJsonArray("responses");
    JsonObject first = responses.getJsonObject(0);
    assertThat(first.getString("status")).isEqualTo("cancelled");
    assertThat(first.getString("reason")).isEqualTo("turn_detected");
    // The cancel follows the barge-in's speech_started within 100 ms.
    long bargeAt = -1;
    long cancelledAt = first.getLong("t");
    for (Object o : result.getJsonArray("events")) {
      JsonObject e = (JsonObject) o;
      if (e.getBoolean("barge_in", false)) {
        bargeAt = e.getLong("t");
      }
    }
    assertThat(bargeAt).as("speech_started during the answer").isPositive();
    assertThat(cancelledAt - bargeAt).isBetween(0L, 100L);
    // The stored answer is marked truncated.
    String id = api.get("/api/v1/conversations", token).json().getJsonArray("items").getJsonObject(0)
        .getString("id");
    JsonArray messages = api.get("/api/v1/conversations/" + id + "/messages", token).json().getJsonArray("items");
    assertThat(messages.stream().map(m -> (JsonObject) m).filter(m -> "assistant".equals(m.getString("role")))
        .anyMatch(m -> m.getBoolean("truncated"))).as("a truncated assistant message: " + messages).isTrue();
  }

  /** The value of an unlabelled gauge or counter in this node's Prometheus text. */
  private static double gauge(String name) {
    String text = api.get("/metrics", null).body();
    for (String line : text.split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    throw new AssertionError(name + " is not in /metrics");
  }

  private static void awaitGauges(Map<String, Double> expected, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    Map<String, Double> seen = new java.util.TreeMap<>();
    while (System.nanoTime() < deadline) {
      seen.clear();
      expected.keySet().forEach(k -> seen.put(k, gauge(k)));
      if (seen.equals(new java.util.TreeMap<>(expected))) {
        return;
      }
      Thread.sleep(50);
    }
    assertThat(seen).as("gauges after " + within.toMillis() + " ms").isEqualTo(new java.util.TreeMap<>(expected));
  }

  @Test
  void aClientLeavingMidAnswerFreesItsWorkers() throws Exception {
    var inbox = new java.util.concurrent.LinkedBlockingQueue<JsonObject>();
    java.net.http.WebSocket ws = connect("", inbox);
    JsonObject created = next(inbox);
    assertThat(created.getString("type")).isEqualTo("session.created");
    String conversation = created.getJsonObject("session").getJsonObject("parley").getString("conversation_id");
    ws.sendText(new JsonObject().put("type", "conversation.item.create").put("item", new JsonObject()
        .put("type", "message").put("role", "user").put("content", new JsonArray().add(new JsonObject()
            .put("type", "input_text").put("text", "Tell me a long story about bananas.")))).encode(), true).get();
    ws.sendText(new JsonObject().put("type", "response.create").encode(), true).get();
    JsonObject e;
    do {
      e = next(inbox);
      assertThat(e.getString("type")).as("no error before the answer's audio: " + e).isNotEqualTo("error");
    } while (!"response.output_audio.delta".equals(e.getString("type")));
    // The answer plays out at real time (seconds of speech): it is in progress when the client goes.
    assertThat(gauge("parley_voice_responses_active")).as("the answer is in progress").isEqualTo(1.0);
    ws.abort();
    awaitGauges(Map.of(
        "parley_voice_sessions", 0.0,
        "parley_voice_responses_active", 0.0,
        "parley_llm_completions_active", 0.0,
        "parley_tts_syntheses_active", 0.0), Duration.ofSeconds(5));
    // The answer is stored as far as it was heard, marked truncated, after the user's message.
    JsonObject last = Poll.until(Duration.ofSeconds(5), "the cut answer in the conversation", () -> {
      JsonArray items = api.get("/api/v1/conversations/" + conversation + "/messages", token).json().getJsonArray("items");
      JsonObject m = items.isEmpty() ? null : items.getJsonObject(items.size() - 1);
      return m != null && "assistant".equals(m.getString("role")) ? m : null;
    }, m -> m != null);
    assertThat(last.getBoolean("truncated")).as(last.encode()).isTrue();
  }

  @Test
  void aClientThatStopsReadingIsClosedAndMemoryStaysBounded() throws Exception {
    var closed = new java.util.concurrent.CompletableFuture<Integer>();
    var received = new java.util.concurrent.atomic.AtomicInteger();
    java.net.http.WebSocket ws = tls.client().newWebSocketBuilder()
        .header("Authorization", "Bearer " + token)
        .buildAsync(java.net.URI.create("wss://127.0.0.1:" + node.server().httpPort() + "/v1/realtime"),
            new java.net.http.WebSocket.Listener() {
              @Override
              public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket w, CharSequence data,
                                                                     boolean last) {
                // Reads session.created, then asks for nothing more until told to: the socket's
                // buffers fill and the server's writes queue up.
                if (last) {
                  received.incrementAndGet();
                }
                if (received.get() > 1) {
                  w.request(1);
                }
                return null;
              }

              @Override
              public java.util.concurrent.CompletionStage<?> onClose(java.net.http.WebSocket w, int status,
                                                                      String reason) {
                closed.complete(status);
                return null;
              }

              @Override
              public void onError(java.net.http.WebSocket w, Throwable error) {
                closed.completeExceptionally(error);
              }
            }).get(10, java.util.concurrent.TimeUnit.SECONDS);
    // Each session.update answers ~1 KB (session.updated); 60,000 of them would be ~60 MB of output
    // held for a client that reads nothing. The server stops at its write-queue bound instead.
    String update = new JsonObject().put("type", "session.update").put("session", new JsonObject()
        .put("parley", new JsonObject().put("personality", "friend"))).encode();
    int sent = 0;
    try {
      while (sent < 60_000) {
        ws.sendText(update, true).get(10, java.util.concurrent.TimeUnit.SECONDS);
        sent++;
      }
    } catch (java.util.concurrent.ExecutionException e) {
      // The server dropped the connection under us: it gave up on this client.
    }
    received.set(2); // read again: what was queued, then the close frame
    ws.request(Long.MAX_VALUE);
    int code;
    try {
      code = closed.get(60, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      code = -1; // the TCP connection went before the close frame could be read
    }
    assertThat(code).as("closed as 'not reading' (1008), or the connection cut").isIn(1008, -1);
    assertThat(received.get() - 2).as("answers the server queued before it gave up, of " + sent + " asked for")
        .isLessThan(sent / 2);
    awaitGauges(Map.of("parley_voice_sessions", 0.0), Duration.ofSeconds(10));
    assertThat(api.get("/health/live", null).status()).as("the node serves on").isEqualTo(200);
  }

  @Test
  void aBurstOfAudioIsSlowedByBackpressureNotDropped() throws Exception {
    var inbox = new java.util.concurrent.LinkedBlockingQueue<JsonObject>();
    java.net.http.WebSocket ws = connect("", inbox);
    assertThat(next(inbox).getString("type")).isEqualTo("session.created");
    // No answers: this is about input. Then 8 x (speech + 1 s of silence) sent as fast as the socket
    // takes it, ~30 s of audio in well under a second: far more than the VAD's one-second backlog.
    ws.sendText(new JsonObject().put("type", "session.update").put("session", new JsonObject()
        .put("audio", new JsonObject().put("input", new JsonObject().put("turn_detection", new JsonObject()
            .put("type", "server_vad").put("create_response", false))))).encode(), true).get();
    assertThat(next(inbox).getString("type")).isEqualTo("session.updated");
    byte[] wav = Files.readAllBytes(speech);
    byte[] pcm = java.util.Arrays.copyOfRange(wav, 44, wav.length);
    byte[] turn = new byte[pcm.length + 24_000 * 2];
    System.arraycopy(pcm, 0, turn, 0, pcm.length);
    var vad = node.server().voice().vad().orElseThrow();
    long before = vad.submitted();
    double pausedBefore = gauge("parley_voice_input_paused_total");
    int turns = 8;
    for (int t = 0; t < turns; t++) {
      for (int at = 0; at < turn.length; at += 9_600) {
        ws.sendBinary(java.nio.ByteBuffer.wrap(turn, at, Math.min(9_600, turn.length - at)), true).get(30,
            java.util.concurrent.TimeUnit.SECONDS);
      }
    }
    long frames = (long) turns * (turn.length / 2) * 16_000 / 24_000 / 512;
    Poll.until(Duration.ofSeconds(60), "every frame of the burst scored",
        () -> vad.submitted() - before >= frames - 1 && vad.scored() == vad.submitted());
    assertThat(vad.submitted() - before).as("frames handed to the VAD: none dropped").isBetween(frames - 1, frames + 1);
    assertThat(gauge("parley_voice_input_paused_total")).as("the burst made the session stop reading")
        .isGreaterThan(pausedBefore);
    List<String> seen = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (seen.stream().filter("input_audio_buffer.speech_stopped"::equals).count() < turns
        && System.nanoTime() < deadline) {
      JsonObject e = inbox.poll(1, java.util.concurrent.TimeUnit.SECONDS);
      if (e != null) {
        seen.add(e.getString("type"));
      }
    }
    assertThat(seen.stream().filter("input_audio_buffer.speech_stopped"::equals).count())
        .as("each of the " + turns + " utterances found: " + seen).isEqualTo(turns);
    ws.abort();
  }

  @Test
  void aSessionSetsItsOwnTurnDetection() throws Exception {
    var inbox = new java.util.concurrent.LinkedBlockingQueue<JsonObject>();
    java.net.http.WebSocket ws = connect("", inbox);
    assertThat(next(inbox).getString("type")).isEqualTo("session.created");
    ws.sendText(new JsonObject().put("type", "session.update").put("session", new JsonObject()
        .put("audio", new JsonObject().put("input", new JsonObject().put("turn_detection", new JsonObject()
            .put("type", "server_vad").put("threshold", 1.5))))).encode(), true).get();
    JsonObject refused = next(inbox);
    assertThat(refused.getString("type")).isEqualTo("error");
    assertThat(refused.getJsonObject("error").getString("message")).contains("threshold", "0.01..0.99");
    ws.sendText(new JsonObject().put("type", "session.update").put("session", new JsonObject()
        .put("audio", new JsonObject().put("input", new JsonObject().put("turn_detection", new JsonObject()
            .put("type", "server_vad").put("create_response", false).put("threshold", 0.6)
            .put("silence_duration_ms", 1500).put("prefix_padding_ms", 500))))).encode(), true).get();
    JsonObject updated = next(inbox);
    assertThat(updated.getString("type")).isEqualTo("session.updated");
    JsonObject td = updated.getJsonObject("session").getJsonObject("audio").getJsonObject("input")
        .getJsonObject("turn_detection");
    assertThat(td.getDouble("threshold")).isEqualTo(0.6);
    assertThat(td.getLong("silence_duration_ms")).isEqualTo(1500L);
    assertThat(td.getLong("prefix_padding_ms")).isEqualTo(500L);
    assertThat(td.containsKey("end_threshold")).as("GA's turn_detection has no end_threshold").isFalse();
    assertThat(updated.getJsonObject("session").getJsonObject("parley").getJsonObject("turn_detection")
        .getDouble("end_threshold")).isCloseTo(0.45, org.assertj.core.data.Offset.offset(1e-9));

    // Speech, then 1 s of silence: the server's 600 ms would have ended the turn; this session's 1.5 s has not.
    byte[] wav = Files.readAllBytes(speech);
    byte[] pcm = java.util.Arrays.copyOfRange(wav, 44, wav.length);
    var vad = node.server().voice().vad().orElseThrow();
    sendPcm(ws, pcm);
    sendPcm(ws, new byte[24_000 * 2]);
    Poll.until(Duration.ofSeconds(20), "the audio scored", () -> vad.scored() == vad.submitted());
    Thread.sleep(200);
    List<String> seen = new ArrayList<>();
    for (JsonObject e; (e = inbox.poll()) != null; ) {
      seen.add(e.getString("type"));
    }
    assertThat(seen).contains("input_audio_buffer.speech_started").doesNotContain("input_audio_buffer.speech_stopped");
    sendPcm(ws, new byte[24_000]); // 0.5 s more silence: 1.5 s in all
    JsonObject e;
    do {
      e = next(inbox);
    } while (!"input_audio_buffer.speech_stopped".equals(e.getString("type")));
    ws.abort();
  }

  private static void sendPcm(java.net.http.WebSocket ws, byte[] pcm) throws Exception {
    for (int at = 0; at < pcm.length; at += 9_600) {
      ws.sendBinary(java.nio.ByteBuffer.wrap(pcm, at, Math.min(9_600, pcm.length - at)), true)
          .get(30, java.util.concurrent.TimeUnit.SECONDS);
    }
  }
}
