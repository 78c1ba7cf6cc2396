package io.parley.inference.vad;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Turns one stream's frames and their speech probabilities into {@link VadEvent}s: where speech
 * starts and stops, on the stream's own sample clock, with the audio of each segment. Pure logic:
 * no model, no threads, no clock but the count of samples fed; one instance per stream, fed in
 * order from one thread at a time.
 *
 * <p>The rules, after silero-vad's {@code VADIterator}, with {@link Settings}:
 * <ol>
 *   <li><b>Onset</b>: a frame whose probability reaches {@code startThreshold} starts a candidate
 *       segment at that frame's first sample.</li>
 *   <li><b>Hysteresis</b>: inside a segment, a frame below {@code endThreshold} starts the silence
 *       timer (at that frame's first sample); only a frame at or above {@code startThreshold}
 *       stops it again. Frames between the two thresholds neither start nor stop the timer.</li>
 *   <li><b>Min speech</b>: the candidate becomes speech, and {@link VadEvent.SpeechStarted} is
 *       emitted, once the stretch from the onset to the end of its last non-silent frame reaches
 *       {@code minSpeech}. A candidate that ends sooner is dropped without any event. So
 *       SpeechStarted comes {@code minSpeech} after the onset, and says where speech began.</li>
 *   <li><b>Pre-roll</b>: a segment starts {@code preRoll} before its onset (the audio is kept in a
 *       ring), but never before the stream's first sample nor before the previous segment's end:
 *       segments never overlap.</li>
 *   <li><b>Min silence (end of turn)</b>: when the silence timer has run {@code minSilence},
 *       {@link VadEvent.SpeechStopped} is emitted with the segment ending where the silence
 *       began; the trailing silence is not part of its audio.</li>
 *   <li><b>Max segment</b>: the audio held per stream is bounded. A segment that would grow past
 *       {@code maxSegment} (pre-roll included) is cut before the frame that would overflow it:
 *       if silence is running it simply ends where the silence began; otherwise SpeechStopped is
 *       emitted there and a new segment starts at once at the same sample, with a SpeechStarted
 *       and no pre-roll (its audio continues exactly where the previous one ended). Long
 *       monologues thus arrive as consecutive segments of at most {@code maxSegment}.</li>
 * </ol>
 *
 * <p>Frames may have any length (the VAD's are {@link VoiceActivityModel#FRAME_SAMPLES}); times are
 * counted in samples at {@link VoiceActivityModel#SAMPLE_RATE}.
 */
public final class VadSegmenter {

  /**
   * Segmenting settings.
   *
   * @param startThreshold probability at which speech starts (PARLEY_VAD_START_THRESHOLD)
   * @param endThreshold probability below which silence may end it, at most startThreshold
   *     (PARLEY_VAD_END_THRESHOLD)
   * @param minSpeech shorter bursts are ignored (PARLEY_VAD_MIN_SPEECH_MS)
   * @param minSilence silence that ends a segment: the end of a turn (PARLEY_VAD_MIN_SILENCE_MS)
   * @param preRoll audio kept before the onset (PARLEY_VAD_PREROLL_MS)
   * @param maxSegment longest segment, pre-roll included; bounds the audio held per stream
   *     ({@link #DEFAULT_MAX_SEGMENT}; longer than preRoll + minSpeech + minSilence)
   * @param eagerness semantic turn detection ({@code semantic_vad}): pauses are reported and the
   *     eagerness's fallback ends turns instead of {@code minSilence}; empty for plain server VAD
   */
  public record Settings(double startThreshold, double endThreshold, Duration minSpeech, Duration minSilence,
                         Duration preRoll, Duration maxSegment, Optional<Eagerness> eagerness) {

    /** 30 s: Whisper's window, and 1.9 MB of float samples per speaking stream. */
    public static final Duration DEFAULT_MAX_SEGMENT = Duration.ofSeconds(30);
    /** Upper bound of maxSegment (memory per stream: 4 bytes x 16,000 per second). */
    public static final Duration MAX_MAX_SEGMENT = Duration.ofMinutes(5);

    /** The defaults of the PARLEY_VAD_* keys. */
    public static final Settings DEFAULTS = new Settings(0.5, 0.35, Duration.ofMillis(250), Duration.ofMillis(600),
        Duration.ofMillis(300), DEFAULT_MAX_SEGMENT);

    /** Plain server VAD: no pauses reported. */
    public Settings(double startThreshold, double endThreshold, Duration minSpeech, Duration minSilence,
                    Duration preRoll, Duration maxSegment) {
      this(startThreshold, endThreshold, minSpeech, minSilence, preRoll, maxSegment, Optional.empty());
    }

    public Settings {
      java.util.Objects.requireNonNull(eagerness, "eagerness");
      if (!(startThreshold > 0 && startThreshold < 1)) {
        throw new IllegalArgumentException("startThreshold must be in (0, 1), got " + startThreshold);
      }
      if (!(endThreshold > 0 && endThreshold <= startThreshold)) {
        throw new IllegalArgumentException("endThreshold must be in (0, startThreshold], got " + endThreshold);
      }
      if (minSpeech.isNegative()) {
        throw new IllegalArgumentException("minSpeech must not be negative");
      }
      if (minSilence.isNegative() || minSilence.isZero()) {
        throw new IllegalArgumentException("minSilence must be positive");
      }
      if (preRoll.isNegative()) {
        throw new IllegalArgumentException("preRoll must not be negative");
      }
      Duration silence = eagerness.map(Eagerness::fallback).orElse(minSilence);
      if (maxSegment.compareTo(preRoll.plus(minSpeech).plus(silence)) <= 0
          || maxSegment.compareTo(MAX_MAX_SEGMENT) > 0) {
        throw new IllegalArgumentException("maxSegment must be longer than preRoll + minSpeech + the silence that"
            + " ends a turn (" + preRoll.plus(minSpeech).plus(silence).toMillis() + " ms) and at most "
            + MAX_MAX_SEGMENT.toMinutes() + " min, got " + maxSegment.toMillis() + " ms");
      }
    }

    public Settings withMaxSegment(Duration maxSegment) {
      return new Settings(startThreshold, endThreshold, minSpeech, minSilence, preRoll, maxSegment, eagerness);
    }

    public Settings withPreRoll(Duration preRoll) {
      return new Settings(startThreshold, endThreshold, minSpeech, minSilence, preRoll, maxSegment, eagerness);
    }

    /** Semantic turn detection with {@code e}: its fallback is the silence that ends a turn anyway. */
    public Settings withEagerness(Eagerness e) {
      return new Settings(startThreshold, endThreshold, minSpeech, minSilence, preRoll, maxSegment, Optional.of(e));
    }

    /** Plain server VAD again: {@code minSilence} ends turns. */
    public Settings withoutEagerness() {
      return new Settings(startThreshold, endThreshold, minSpeech, minSilence, preRoll, maxSegment);
    }

    /** The silence that ends a turn: the eagerness's fallback, else {@code minSilence}. */
    public Duration endSilence() {
      return eagerness.map(Eagerness::fallback).orElse(minSilence);
    }
  }

  /** Samples at 16 kHz in a duration, rounded to the nearest. */
  public static long samples(Duration d) {
    return Math.round(d.toNanos() * (VoiceActivityModel.SAMPLE_RATE / 1e9));
  }

  private enum Phase { IDLE, CANDIDATE, SPEAKING }

  private float start;
  private float end;
  private long minSpeech;
  private long minSilence;
  private long maxSegment;
  /** Silence after which a pause is reported, or -1 (plain server VAD). */
  private long pause;

  /** The last preRoll samples fed, whatever the phase. */
  private float[] ring;
  private int ringHead;
  private int ringFill;

  private Phase phase = Phase.IDLE;
  private long position;
  private long lastEnd;
  private float[] segment = new float[0];
  private int segmentLength;
  private long segmentStart;
  private long onset;
  /** End of the segment's last non-silent frame. */
  private long speechEnd;
  /** First sample of the running silence, or -1. */
  private long silenceStart = -1;
  /** Whether the running silence was reported as a pause. */
  private boolean pauseReported;

  public VadSegmenter(Settings settings) {
    this.start = (float) settings.startThreshold();
    this.end = (float) settings.endThreshold();
    this.minSpeech = samples(settings.minSpeech());
    this.minSilence = samples(settings.endSilence());
    this.maxSegment = samples(settings.maxSegment());
    this.pause = pauseOf(settings);
    this.ring = new float[Math.toIntExact(samples(settings.preRoll()))];
  }

  private static long pauseOf(Settings settings) {
    return settings.eagerness().isPresent() ? samples(Eagerness.PAUSE) : -1;
  }

  /**
   * New settings for what comes next (a client's {@code session.update}): thresholds and durations
   * apply from the next frame; the running phase (and a segment being spoken) carries on. The
   * pre-roll keeps the most recent samples that fit the new length.
   */
  public void update(Settings settings) {
    this.start = (float) settings.startThreshold();
    this.end = (float) settings.endThreshold();
    this.minSpeech = samples(settings.minSpeech());
    this.minSilence = samples(settings.endSilence());
    this.maxSegment = samples(settings.maxSegment());
    this.pause = pauseOf(settings);
    float[] resized = new float[Math.toIntExact(samples(settings.preRoll()))];
    int keep = Math.min(ringFill, resized.length);
    int from = Math.floorMod(ringHead - keep, Math.max(ring.length, 1));
    for (int copied = 0; copied < keep; ) {
      int run = Math.min(keep - copied, ring.length - from);
      System.arraycopy(ring, from, resized, copied, run);
      copied += run;
      from = 0;
    }
    ring = resized;
    ringFill = keep;
    ringHead = resized.length == 0 ? 0 : keep % resized.length;
  }

  /** Samples fed so far: the stream's clock. */
  public long position() {
    return position;
  }

  /** True between a SpeechStarted and its SpeechStopped. */
  public boolean speaking() {
    return phase == Phase.SPEAKING;
  }

  /**
   * Feeds the next frame and its speech probability; returns the events it caused, in order
   * (usually none).
   */
  public List<VadEvent> accept(float[] frame, float probability) {
    if (frame.length == 0) {
      throw new IllegalArgumentException("empty frame");
    }
    List<VadEvent> events = List.of();
    long frameStart = position;
    long frameEnd = position + frame.length;

    if (phase != Phase.IDLE && frameEnd - segmentStart > maxSegment) {
      events = add(events, cut(frameStart));
    }
    if (phase == Phase.IDLE) {
      if (probability >= start) {
        begin(frameStart, frame);
      }
    } else {
      append(frame, frame.length);
      if (probability >= start) {
        silenceStart = -1;
        pauseReported = false;
      } else if (probability < end && silenceStart < 0) {
        silenceStart = frameStart;
      }
      if (silenceStart < 0) {
        speechEnd = frameEnd;
      }
    }
    if (phase == Phase.CANDIDATE && speechEnd - onset >= minSpeech) {
      phase = Phase.SPEAKING;
      events = add(events, List.of(new VadEvent.SpeechStarted(segmentStart, onset)));
    }
    if (phase == Phase.SPEAKING && silenceStart >= 0 && pause >= 0 && !pauseReported
        && frameEnd - silenceStart >= pause && frameEnd - silenceStart < minSilence) {
      pauseReported = true;
      events = add(events, List.of(new VadEvent.Paused(segmentStart, silenceStart,
          Arrays.copyOf(segment, (int) (silenceStart - segmentStart)))));
    }
    if (phase != Phase.IDLE && silenceStart >= 0 && frameEnd - silenceStart >= minSilence) {
      events = add(events, stop(silenceStart));
    }
    remember(frame);
    position = frameEnd;
    return events;
  }

  /**
   * Ends the turn at the pause {@code paused} reported (the end-of-turn model found it complete):
   * the SpeechStopped of {@link #flush}, if that pause is still going on; nothing when the user
   * spoke again since, or the segment already ended.
   */
  public List<VadEvent> endPause(VadEvent.Paused paused) {
    if (phase != Phase.SPEAKING || silenceStart != paused.endSample() || segmentStart != paused.startSample()) {
      return List.of();
    }
    return stop(silenceStart);
  }

  /**
   * Ends the segment in progress now (the stream ended, or the client committed its audio): a
   * SpeechStopped if speech had started (ending where a running silence began, else at the
   * current position); a candidate not yet confirmed is dropped. The clock keeps running.
   */
  public List<VadEvent> flush() {
    if (phase == Phase.IDLE) {
      return List.of();
    }
    return stop(silenceStart >= 0 ? silenceStart : position);
  }

  private void begin(long frameStart, float[] frame) {
    long from = Math.max(frameStart - ringFill, lastEnd);
    int pre = (int) (frameStart - from);
    segment = new float[Math.max(4096, Integer.highestOneBit(pre + frame.length) << 1)];
    segmentLength = 0;
    copyRingTail(pre);
    append(frame, frame.length);
    segmentStart = from;
    onset = frameStart;
    speechEnd = frameStart + frame.length;
    silenceStart = -1;
    phase = Phase.CANDIDATE;
  }

  /** The segment would overflow: end it before the frame starting at {@code at}. */
  private List<VadEvent> cut(long at) {
    if (phase == Phase.CANDIDATE || silenceStart >= 0) {
      return stop(silenceStart >= 0 ? silenceStart : at);
    }
    List<VadEvent> events = new ArrayList<>(stop(at));
    // Continuing speech: a new segment from the same sample, already confirmed, no pre-roll.
    segment = new float[4096];
    segmentLength = 0;
    segmentStart = at;
    onset = at;
    speechEnd = at;
    silenceStart = -1;
    phase = Phase.SPEAKING;
    events.add(new VadEvent.SpeechStarted(at));
    return events;
  }

  private List<VadEvent> stop(long at) {
    List<VadEvent> events = List.of();
    if (phase == Phase.SPEAKING) {
      int length = (int) (at - segmentStart);
      events = List.of(new VadEvent.SpeechStopped(segmentStart, at, Arrays.copyOf(segment, length)));
      lastEnd = at;
    }
    phase = Phase.IDLE;
    segment = new float[0];
    segmentLength = 0;
    silenceStart = -1;
    pauseReported = false;
    return events;
  }

  private void append(float[] samples, int length) {
    if (segmentLength + length > segment.length) {
      int capacity = Math.max(segment.length * 2, segmentLength + length);
      segment = Arrays.copyOf(segment, capacity);
    }
    System.arraycopy(samples, 0, segment, segmentLength, length);
    segmentLength += length;
  }

  private void copyRingTail(int count) {
    int from = Math.floorMod(ringHead - count, Math.max(ring.length, 1));
    for (int copied = 0; copied < count; ) {
      int run = Math.min(count - copied, ring.length - from);
      System.arraycopy(ring, from, segment, segmentLength, run);
      segmentLength += run;
      copied += run;
      from = 0;
    }
  }

  private void remember(float[] frame) {
    if (ring.length == 0) {
      return;
    }
    int offset = Math.max(0, frame.length - ring.length);
    for (int i = offset; i < frame.length; ) {
      int run = Math.min(frame.length - i, ring.length - ringHead);
      System.arraycopy(frame, i, ring, ringHead, run);
      ringHead = (ringHead + run) % ring.length;
      i += run;
    }
    ringFill = (int) Math.min(ring.length, (long) ringFill + frame.length);
  }

  private static List<VadEvent> add(List<VadEvent> events, List<VadEvent> more) {
    if (more.isEmpty()) {
      return events;
    }
    if (events.isEmpty()) {
      return more;
    }
    List<VadEvent> all = new ArrayList<>(events);
    all.addAll(more);
    return all;
  }
}
