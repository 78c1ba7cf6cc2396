package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.parley.api.support.Poll;
import io.parley.api.support.Speech;
import io.parley.api.support.TestNode;
import io.parley.inference.voice.VadScheduler;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * 20 always-on sessions streaming speech in real time at once (binary PCM16 frames, the Parley
 * extension): no event loop is ever blocked (a Vert.x blocked-thread warning fails the test), no
 * input frame is dropped (every frame handed to the VAD is scored), and every session hears its
 * speech start and stop.
 */
class RealtimeLoadTest {

  static final int SESSIONS = 20;

  @Test
  void twentySessionsStreamInRealTimeWithoutBlockingOrDropping() throws Exception {
    ListAppender<ILoggingEvent> blocked = new ListAppender<>();
    blocked.start();
    Logger checker = (Logger) LoggerFactory.getLogger("io.vertx.core.impl.BlockedThreadChecker");
    checker.addAppender(blocked);
    Path dir = Files.createTempDirectory("parley-load-");
    try (TestNode node = TestNode.start(Map.of("PARLEY_VOICE_MAX_SESSIONS_PER_USER", "50"))) {
      byte[] wav = Files.readAllBytes(Speech.wav("Two apples and a glass of milk.", 24_000, dir, "load"));
      byte[] pcm = java.util.Arrays.copyOfRange(wav, 44, wav.length);
      byte[] silence = new byte[24_000 * 2]; // 1 s
      String token = node.api().newUser().getString("access_token");
      HttpClient http = HttpClient.newHttpClient();
      List<WebSocket> sockets = new ArrayList<>();
      List<ConcurrentLinkedQueue<String>> seen = new ArrayList<>();
      for (int i = 0; i < SESSIONS; i++) {
        ConcurrentLinkedQueue<String> types = new ConcurrentLinkedQueue<>();
        seen.add(types);
        sockets.add(http.newWebSocketBuilder().header("Authorization", "Bearer " + token)
            .buildAsync(URI.create("ws://127.0.0.1:" + node.server().httpPort() + "/v1/realtime"),
                new WebSocket.Listener() {
                  final StringBuilder partial = new StringBuilder();

                  @Override
                  public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                    partial.append(data);
                    if (last) {
                      types.add(new JsonObject(partial.toString()).getString("type"));
                      partial.setLength(0);
                    }
                    ws.request(1);
                    return null;
                  }
                }).get(10, TimeUnit.SECONDS));
      }
      VadScheduler vad = node.server().voice().vad().orElseThrow();
      long before = vad.submitted();
      // Real time: 100 ms of audio per session every 100 ms, speech then 1 s of silence.
      byte[] stream = new byte[pcm.length + silence.length];
      System.arraycopy(pcm, 0, stream, 0, pcm.length);
      int chunk = 24_000 * 2 / 10;
      long start = System.nanoTime();
      int sent = 0;
      for (int at = 0; at < stream.length; at += chunk) {
        byte[] piece = java.util.Arrays.copyOfRange(stream, at, Math.min(stream.length, at + chunk));
        for (WebSocket ws : sockets) {
          ws.sendBinary(ByteBuffer.wrap(piece), true).get(5, TimeUnit.SECONDS);
        }
        sent += piece.length;
        long due = start + (long) (sent / 2.0 / 24_000 * 1e9);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
      }
      long expectedFrames = (long) SESSIONS * (stream.length / 2 * 16_000L / 24_000 / 512);
      Poll.until(Duration.ofSeconds(10), "every frame handed in is scored", () -> vad.scored() == vad.submitted());
      long frames = vad.submitted() - before;
      assertThat(frames).as("frames handed to the VAD").isGreaterThanOrEqualTo(expectedFrames - SESSIONS);
      for (int i = 0; i < SESSIONS; i++) {
        ConcurrentLinkedQueue<String> types = seen.get(i);
        Poll.until(Duration.ofSeconds(10), "session " + i + " hears its speech stop",
            () -> types.contains("input_audio_buffer.speech_stopped"));
        assertThat(types).contains("session.created", "input_audio_buffer.speech_started");
      }
      sockets.forEach(WebSocket::abort);
      assertThat(blocked.list).as("Vert.x blocked-thread warnings").isEmpty();
      // The detector itself works: an event loop blocked on purpose (another Vert.x) is reported.
      io.vertx.core.Vertx probe = io.vertx.core.Vertx.vertx(new io.vertx.core.VertxOptions()
          .setBlockedThreadCheckInterval(200).setMaxEventLoopExecuteTime(300)
          .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS));
      try {
        probe.runOnContext(v -> {
          try {
            Thread.sleep(1_000);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        Poll.until(Duration.ofSeconds(5), "the blocked-thread checker reports a blocked loop",
            () -> !blocked.list.isEmpty());
      } finally {
        probe.close().await(5, TimeUnit.SECONDS);
      }
    } finally {
      checker.detachAppender(blocked);
      TestNode.deleteTree(dir);
    }
  }
}
