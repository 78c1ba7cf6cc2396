package io.parley.api.calls;

import static io.parley.core.config.ConfigKey.*;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.core.config.ConfigSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Expert calls and their signalling: the {@code PARLEY_CALL_*} and {@code PARLEY_SIGNAL_*} keys of
 * {@link io.parley.core.config.ConfigKey}, read and validated by {@link #from}.
 *
 * @param limit hard limit of one call
 * @param warnings how long before the limit each call-warning event is sent
 * @param joinEarly how long before its scheduled time an appointment's call may start
 * @param grace how long a party whose connection dropped may resume
 * @param freePerMonth appointments per user and calendar month without payment
 * @param turnUrls TURN servers handed out in ice-servers instead of this node's own (edge TURN nodes)
 */
public record CallOptions(Duration limit, List<Duration> warnings, Duration joinEarly, Duration grace, int freePerMonth,
                          int maxMessageBytes, int messagesPerSecond, Duration authTimeout, Duration pingInterval,
                          List<String> turnUrls) {
  public CallOptions {
    if (limit.isZero() || limit.isNegative()) {
      throw new ParleyException(Reason.CONFIG, "PARLEY_CALL_LIMIT: must be positive");
    }
    if (maxMessageBytes < 1024) {
      throw new ParleyException(Reason.CONFIG, "PARLEY_SIGNAL_MAX_MESSAGE_BYTES: must be at least 1024");
    }
    warnings = List.copyOf(warnings);
    turnUrls = List.copyOf(turnUrls);
  }

  /** The call settings of {@code c}; fails naming the key of the first bad value. */
  public static CallOptions from(ConfigSource c) {
    return new CallOptions(
        c.seconds(PARLEY_CALL_LIMIT, 1, 24 * 3600),
        warnings(c),
        c.seconds(PARLEY_CALL_JOIN_EARLY, 0, 7 * 86_400),
        c.seconds(PARLEY_CALL_GRACE, 1, 3600),
        c.integer(PARLEY_CALL_FREE_PER_MONTH, 0, 10_000),
        c.integer(PARLEY_SIGNAL_MAX_MESSAGE_BYTES, 1024, 1024 * 1024),
        c.integer(PARLEY_SIGNAL_RATE, 1, 100_000),
        c.seconds(PARLEY_SIGNAL_AUTH_TIMEOUT, 1, 300),
        c.seconds(PARLEY_SIGNAL_PING_INTERVAL, 1, 3600),
        turnUrls(c));
  }

  private static List<String> turnUrls(ConfigSource c) {
    List<String> urls = c.list(PARLEY_CALL_TURN_URLS);
    for (String u : urls) {
      if (!u.matches("turns?:[^\\s]+")) {
        throw ConfigSource.bad(PARLEY_CALL_TURN_URLS, "a comma list of turn: or turns: URLs", u);
      }
    }
    return urls;
  }

  private static List<Duration> warnings(ConfigSource c) {
    List<Duration> out = new ArrayList<>();
    for (String s : c.list(PARLEY_CALL_WARNINGS)) {
      try {
        int v = Integer.parseInt(s.trim());
        if (v <= 0) {
          throw new NumberFormatException();
        }
        out.add(Duration.ofSeconds(v));
      } catch (NumberFormatException e) {
        throw ConfigSource.bad(PARLEY_CALL_WARNINGS, "a comma list of positive whole seconds like 120,30", s);
      }
    }
    return out;
  }
}
