package io.parley.inference.vad;

import java.time.Duration;
import java.util.Locale;

/**
 * How eagerly a semantic turn detection ({@code turn_detection.type: "semantic_vad"} with its
 * {@code eagerness}) ends a user's turn. When the VAD hears a {@link #PAUSE}, the end-of-turn model
 * ({@link SmartTurn}) is asked whether the turn is complete: at or above {@code threshold} it ends
 * there; below, the turn goes on until the user speaks again, or until {@code fallback} of silence
 * ends it anyway. The fallbacks are OpenAI's stated maximum waits (8, 4 and 2 s); {@code auto} is
 * {@code medium}.
 *
 * @param threshold completion probability at or above which a pause ends the turn
 * @param fallback silence that ends the turn whatever the model says
 */
public enum Eagerness {
  LOW(0.8, Duration.ofSeconds(8)),
  MEDIUM(0.5, Duration.ofSeconds(4)),
  HIGH(0.3, Duration.ofSeconds(2)),
  AUTO(0.5, Duration.ofSeconds(4));

  /** Silence after which the end-of-turn model is asked (as Pipecat pairs Smart Turn with its VAD). */
  public static final Duration PAUSE = Duration.ofMillis(200);

  private final double threshold;
  private final Duration fallback;

  Eagerness(double threshold, Duration fallback) {
    this.threshold = threshold;
    this.fallback = fallback;
  }

  public double threshold() {
    return threshold;
  }

  public Duration fallback() {
    return fallback;
  }

  /** The protocol's name: {@code low}, {@code medium}, {@code high}, {@code auto}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The eagerness a client named; IllegalArgumentException naming the valid ones. */
  public static Eagerness parse(String name) {
    for (Eagerness e : values()) {
      if (e.wireName().equals(name)) {
        return e;
      }
    }
    throw new IllegalArgumentException("eagerness must be low, medium, high or auto, got " + name);
  }
}
