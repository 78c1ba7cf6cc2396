package io.parley.inference.voice;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * One answer's audio on its way out, sent no faster than it plays (plus {@link #LEAD_MS}) on the
 * {@link VoiceClock}: the answer lasts as long as its audio, so a barge-in finds it live and cuts
 * what has not been heard, and a client that reads slowly never makes the server hold more than the
 * queue. It keeps the server's playout clock ({@link #playedMs}). On the session's context.
 */
final class AudioPacer {

  /** Audio leaves at most this far ahead of the playout clock. */
  static final long LEAD_MS = 500;
  /** Synthesis stops this far ahead of playback, bounding the audio held per session. */
  static final long MAX_AHEAD_MS = 10_000;
  /** How often paced audio is sent, and the largest piece of audio sent at once. */
  static final long PACE_MS = 40;

  /** Where the paced audio goes. */
  interface Sink {
    /** The first audio of the answer leaves now ({@code nanos}, on the clock). */
    void started(long nanos);

    void send(short[] pcm);

    /** Everything queued has been sent. */
    void drained();
  }

  private final VoiceClock clock;
  private final int rate;
  private final Sink sink;
  private final Deque<short[]> queue = new ArrayDeque<>();
  private long queuedSamples;
  private long sentSamples;
  private boolean started;
  private long firstNanos;
  private long timer = -1;
  private boolean stopped;

  /** {@code rate}: PCM16 samples per second of the audio paced. */
  AudioPacer(VoiceClock clock, int rate, Sink sink) {
    this.clock = clock;
    this.rate = rate;
    this.sink = sink;
  }

  /** More audio to send; nothing happens for none. */
  void add(short[] pcm) {
    if (pcm.length == 0) {
      return;
    }
    // Queued in slices of one pacing step: an engine that hands over a whole sentence at once would
    // otherwise send it all in one go and end the answer (and the barge-in window) while most of it
    // is still to be played.
    int slice = (int) (PACE_MS * rate / 1000);
    for (int at = 0; at < pcm.length; at += slice) {
      queue.add(pcm.length <= slice ? pcm : Arrays.copyOfRange(pcm, at, Math.min(pcm.length, at + slice)));
    }
    queuedSamples += pcm.length;
    pump();
  }

  /** More than {@link #MAX_AHEAD_MS} of audio waits to be sent: synthesis waits for it to drain. */
  boolean full() {
    return queuedSamples * 1000 / rate > MAX_AHEAD_MS;
  }

  /** Nothing waits to be sent. */
  boolean empty() {
    return queue.isEmpty();
  }

  /** Server-side playout estimate: audio plays in real time from the first sample sent. */
  long playedMs() {
    if (!started) {
      return 0;
    }
    long elapsed = (clock.nanoTime() - firstNanos) / 1_000_000;
    return Math.min(elapsed, sentSamples * 1000 / rate);
  }

  /** Drops the audio not yet sent; nothing is sent after this. The playout clock keeps its count. */
  void stop() {
    stopped = true;
    queue.clear();
    if (timer >= 0) {
      clock.cancelTimer(timer);
      timer = -1;
    }
  }

  private void pump() {
    if (stopped) {
      return;
    }
    long now = clock.nanoTime();
    if (!started && !queue.isEmpty()) {
      started = true;
      firstNanos = now;
      sink.started(now);
    }
    long allowed = (now - firstNanos) / 1_000_000 * rate / 1000 + LEAD_MS * rate / 1000;
    while (!queue.isEmpty() && sentSamples < allowed) {
      short[] chunk = queue.poll();
      queuedSamples -= chunk.length;
      sentSamples += chunk.length;
      sink.send(chunk);
    }
    if (!queue.isEmpty() && timer < 0) {
      timer = clock.setTimer(PACE_MS, () -> {
        timer = -1;
        pump();
      });
    }
    if (queue.isEmpty()) {
      sink.drained();
    }
  }
}
