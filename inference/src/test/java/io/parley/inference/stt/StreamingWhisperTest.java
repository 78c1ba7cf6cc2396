package io.parley.inference.stt;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.core.ParleyException;
import io.parley.inference.vad.VadEvent.SpeechStarted;
import io.parley.inference.vad.VadEvent.SpeechStopped;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streaming adapter on the real engine: the tiny model, espeak-ng speech fed in 32 ms frames at
 * real-time pace, VAD decisions scripted around the spoken part, a one-thread platform executor.
 */
class StreamingWhisperTest {

  @TempDir Path dir;

  @Test
  void interimsWhileSpeakingAndAFinalAtTheStop() throws Exception {
    Path model = TinyWhisperModel.builder().write(dir.resolve("ggml-tiny-random.bin"));
    float[] speech = EspeakSpeech.speak("I would like to log my lunch, a salad with chicken.", 3.0, dir);
    ExecutorService workers = Executors.newFixedThreadPool(1, r -> new Thread(r, "stt-worker"));
    List<String> interims = Collections.synchronizedList(new ArrayList<>());
    List<String> threads = Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<Transcript> done = new CompletableFuture<>();
    try (WhisperStt stt = new WhisperStt(model, 1, 1)) {
      StreamingTranscriber stream = new StreamingTranscriber(stt, workers, Optional.of("en"),
          Duration.ofMillis(700), Duration.ofMillis(200), new StreamingTranscriber.Listener() {
            @Override
            public void interim(long segmentId, String text) {
              interims.add(segmentId + ":" + text);
              threads.add(Thread.currentThread().getName());
            }

            @Override
            public void completed(long segmentId, Transcript t) {
              threads.add(Thread.currentThread().getName());
              done.complete(t);
            }

            @Override
            public void failed(long segmentId, ParleyException error) {
              done.completeExceptionally(error);
            }
          });

      int frame = 512;
      int start = 4 * frame; // the scripted VAD: speech from 64 ms to the end
      long t0 = System.nanoTime();
      for (int off = 0; off < speech.length; off += frame) {
        stream.audio(Arrays.copyOfRange(speech, off, Math.min(speech.length, off + frame)));
        if (off == 8 * frame) {
          stream.event(new SpeechStarted(start));
        }
        long due = t0 + (off + frame) * 1_000_000_000L / 16_000;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
      }
      stream.event(new SpeechStopped(start, speech.length, Arrays.copyOfRange(speech, start, speech.length)));

      Transcript t = done.get(30, TimeUnit.SECONDS);
      assertThat(t.text()).isNotNull();
      assertThat(t.language()).isEqualTo("en");
      assertThat(stream.interimsStarted()).isGreaterThanOrEqualTo(2);
      assertThat(interims).isNotEmpty().allMatch(s -> s.startsWith("1:"));
      assertThat(threads).containsOnly("stt-worker");
      stream.close();
    } finally {
      workers.shutdownNow();
    }
  }
}
