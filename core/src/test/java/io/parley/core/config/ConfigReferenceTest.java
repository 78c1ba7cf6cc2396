package io.parley.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/CONFIGURATION.md documents exactly the keys of {@link ConfigKey}, with their defaults and units. */
class ConfigReferenceTest {

  private static final Pattern ROW = Pattern.compile("^\\| `(PARLEY_[A-Z0-9_]+)` \\| ([^|]+) \\| ([^|]+) \\|", Pattern.MULTILINE);

  @Test
  void referenceMatchesTheCode() throws IOException {
    Path doc = Path.of("..", "docs", "CONFIGURATION.md");
    String text = Files.readString(doc);
    Map<String, String[]> rows = new HashMap<>();
    Matcher m = ROW.matcher(text);
    while (m.find()) {
      rows.put(m.group(1), new String[] {m.group(2).trim(), m.group(3).trim()});
    }
    for (ConfigKey key : ConfigKey.values()) {
      assertThat(rows).as("docs/CONFIGURATION.md row for %s", key).containsKey(key.name());
      String[] row = rows.get(key.name());
      String expectedDefault = key.defaultValue() == null ? "(unset)"
          : key.defaultValue().isEmpty() ? "(empty)" : "`" + key.defaultValue() + "`";
      assertThat(row[0]).as("default of %s", key).isEqualTo(expectedDefault);
      assertThat(row[1]).as("unit of %s", key).isEqualTo(key.unit());
    }
    assertThat(rows.keySet()).as("documented keys that the code does not read")
        .allMatch(k -> java.util.Arrays.stream(ConfigKey.values()).anyMatch(c -> c.name().equals(k)));
  }
}
