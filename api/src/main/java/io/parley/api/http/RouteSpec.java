package io.parley.api.http;

import io.parley.api.http.RateLimiter.LimitClass;
import io.vertx.core.http.HttpMethod;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What the router must know of a path before its handler runs: which rate-limit class counts it
 * and how its body is read. Features declare these next to their routes ({@link Feature#specs});
 * {@link HttpApi} picks, for each request, the most specific spec that matches (a path and method,
 * then a path, then the longest prefix).
 *
 * @param method the method it applies to, or empty for every method
 * @param path   an exact path, or a prefix ending in {@code /}
 * @param prefix whether {@code path} is a prefix
 * @param limit  the rate-limit class, or empty for none
 * @param body   how the request body is read
 */
public record RouteSpec(Optional<HttpMethod> method, String path, boolean prefix, Optional<LimitClass> limit,
                        Body body) {

  /** How a body is read: JSON up to PARLEY_MAX_BODY_BYTES, or a multipart upload with its own limit. */
  public enum Body {
    /** JSON (or none), up to PARLEY_MAX_BODY_BYTES. */
    JSON,
    /** A multipart photo held in memory, within PARLEY_PHOTO_MAX_BYTES and the node's upload budget. */
    PHOTO,
    /** A multipart audio file held in memory, within {@link #MAX_AUDIO_BYTES} and the node's audio upload budget. */
    AUDIO;

    /** Largest audio upload: OpenAI's limit for {@code /v1/audio/transcriptions} (25 MiB). */
    public static final int MAX_AUDIO_BYTES = 25 * 1024 * 1024;
  }

  /** Requests whose path is exactly {@code path}, counted in {@code limit}. */
  public static RouteSpec exact(String path, LimitClass limit) {
    return new RouteSpec(Optional.empty(), path, false, Optional.of(limit), Body.JSON);
  }

  /** Requests whose path starts with {@code prefix} (which ends in {@code /}), counted in {@code limit}. */
  public static RouteSpec under(String prefix, LimitClass limit) {
    if (!prefix.endsWith("/")) {
      throw new IllegalArgumentException("a prefix ends in /: " + prefix);
    }
    return new RouteSpec(Optional.empty(), prefix, true, Optional.of(limit), Body.JSON);
  }

  /** Requests whose path is exactly {@code path}, never rate-limited. */
  public static RouteSpec unlimited(String path) {
    return new RouteSpec(Optional.empty(), path, false, Optional.empty(), Body.JSON);
  }

  /** The same spec, for {@code m} requests only. */
  public RouteSpec on(HttpMethod m) {
    return new RouteSpec(Optional.of(m), path, prefix, limit, body);
  }

  /** The same spec, with its body read as {@code b}. */
  public RouteSpec reading(Body b) {
    return new RouteSpec(method, path, prefix, limit, b);
  }

  boolean matches(HttpMethod m, String p) {
    return method.map(m::equals).orElse(true) && (prefix ? p.startsWith(path) : p.equals(path));
  }

  /** Most specific first: an exact path with its method, an exact path, then longer prefixes. */
  static final Comparator<RouteSpec> SPECIFIC_FIRST = Comparator
      .comparing((RouteSpec s) -> s.prefix)
      .thenComparing(s -> s.method.isEmpty())
      .thenComparing(s -> -s.path.length());

  /** The specs sorted most specific first, to look requests up in. */
  static List<RouteSpec> sorted(List<RouteSpec> specs) {
    return specs.stream().sorted(SPECIFIC_FIRST).toList();
  }
}
