package io.parley.core.config;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Raw key/value settings with typed, validated accessors whose errors name the key. Values come
 * from the optional {@code PARLEY_CONFIG} properties file, overridden by the environment.
 */
public final class ConfigSource {

  private final Map<String, String> values;

  /**
   * Keys Parley no longer reads, with what replaced them. A node that finds one set refuses to
   * start: an operator who relied on it must learn that it is gone, not find out later.
   */
  static final Map<String, String> RETIRED = Map.of(
      "PARLEY_ADMIN_EMAILS", "no longer read: the admin role followed whoever held a listed address, and any user "
          + "could put an unused one on their account. Grant admins with ./parley admin grant EMAIL (README, "
          + "'Admins'); accounts that are admins already stay admins");

  private ConfigSource(Map<String, String> values) {
    for (String key : values.keySet()) {
      String why = RETIRED.get(key);
      if (why != null) {
        throw new ParleyException(Reason.CONFIG, key + ": " + why + "; remove the setting");
      }
    }
    this.values = Map.copyOf(values);
  }

  /** Reads the file named by {@code PARLEY_CONFIG} (if any), then applies {@code env} on top. */
  public static ConfigSource load(Map<String, String> env) {
    Map<String, String> merged = new HashMap<>();
    String file = env.get(ConfigKey.PARLEY_CONFIG.name());
    if (file != null && !file.isBlank()) {
      Properties props = new Properties();
      try (Reader reader = Files.newBufferedReader(Path.of(file))) {
        props.load(reader);
      } catch (IOException e) {
        throw new ParleyException(Reason.CONFIG, "PARLEY_CONFIG: cannot read " + file + ": " + e.getMessage(), e);
      }
      for (String name : props.stringPropertyNames()) {
        known(name);
        merged.put(name, props.getProperty(name).trim());
      }
    }
    for (Map.Entry<String, String> e : env.entrySet()) {
      if (e.getKey().startsWith("PARLEY_")) {
        merged.put(e.getKey(), e.getValue().trim());
      }
    }
    return new ConfigSource(merged);
  }

  /** Settings from a map of key names to values (tests, embedding). */
  public static ConfigSource of(Map<String, String> values) {
    return new ConfigSource(values);
  }

  private static void known(String name) {
    if (RETIRED.containsKey(name)) {
      return;
    }
    try {
      ConfigKey.valueOf(name);
    } catch (IllegalArgumentException e) {
      throw new ParleyException(Reason.CONFIG, name + ": unknown configuration key (see docs/CONFIGURATION.md)");
    }
  }

  /** Every key set (the file's and the environment's), as this node read them: what its worker processes get. */
  public Map<String, String> values() {
    return values;
  }

  /** The raw value or the key's default; null when neither is set. */
  public String raw(ConfigKey key) {
    String v = values.get(key.name());
    if (v == null || v.isEmpty()) {
      return key.defaultValue();
    }
    return v;
  }

  public String string(ConfigKey key) {
    return raw(key);
  }

  public int integer(ConfigKey key, int min, int max) {
    String v = raw(key);
    try {
      int n = Integer.parseInt(v);
      if (n < min || n > max) {
        throw bad(key, "an integer in " + min + ".." + max, v);
      }
      return n;
    } catch (NumberFormatException | NullPointerException e) {
      throw bad(key, "an integer in " + min + ".." + max, v);
    }
  }

  public double decimal(ConfigKey key, double min, double max) {
    String v = raw(key);
    try {
      double d = Double.parseDouble(v);
      if (!(d >= min && d <= max)) {
        throw bad(key, "a number in " + min + ".." + max, v);
      }
      return d;
    } catch (NumberFormatException | NullPointerException e) {
      throw bad(key, "a number in " + min + ".." + max, v);
    }
  }

  public boolean bool(ConfigKey key) {
    String v = raw(key).toLowerCase(Locale.ROOT);
    return switch (v) {
      case "true", "1", "yes", "on" -> true;
      case "false", "0", "no", "off" -> false;
      default -> throw bad(key, "true or false", v);
    };
  }

  public List<String> list(ConfigKey key) {
    String v = raw(key);
    List<String> out = new ArrayList<>();
    if (v != null) {
      for (String part : v.split(",")) {
        if (!part.isBlank()) {
          out.add(part.trim());
        }
      }
    }
    return List.copyOf(out);
  }

  public <E extends Enum<E>> E choice(ConfigKey key, Class<E> type) {
    String v = raw(key);
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(v)) {
        return e;
      }
    }
    throw bad(key, "one of " + List.of(type.getEnumConstants()).toString().toLowerCase(Locale.ROOT), v);
  }

  /** A whole number of seconds in {@code min..max}. */
  public Duration seconds(ConfigKey key, int min, int max) {
    return Duration.ofSeconds(integer(key, min, max));
  }

  /** A URL with a host, or empty when unset; errors never echo a password the value carries. */
  public Optional<URI> url(ConfigKey key) {
    String v = raw(key);
    if (v == null) {
      return Optional.empty();
    }
    try {
      URI uri = new URI(v);
      if (uri.getHost() == null) {
        throw bad(key, "a URL with a host", redact(v));
      }
      return Optional.of(uri);
    } catch (URISyntaxException e) {
      throw bad(key, "a URL", redact(v));
    }
  }

  /** URLs may carry passwords: never echo the user-info part. */
  public static String redact(String url) {
    return url.replaceAll("//[^/@]*@", "//***@");
  }

  /** The error of a key whose value is not what it should be, naming both. */
  public static ParleyException bad(ConfigKey key, String expected, String got) {
    return new ParleyException(Reason.CONFIG, key.name() + ": expected " + expected + ", got '" + got + "'");
  }
}
