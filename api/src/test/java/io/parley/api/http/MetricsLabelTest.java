package io.parley.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.TestNode;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Requests with made-up method names do not grow {@code /metrics}: before, each new name added its
 * own label value and about 96 lines (100 random methods: 11,736 -> 21,336 lines). They share the
 * label value {@code OTHER}.
 */
class MetricsLabelTest {

  private static final Pattern METHOD = Pattern.compile("method=\"([^\"]*)\"");
  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start(Map.of()); // its own node: the count of series must not depend on other tests
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void madeUpMethodsShareOneLabelValue() {
    Api api = node.api();
    for (int i = 0; i < 3; i++) {
      api.send("FROB" + i, "/api/v1/users/me", null, null, Map.of());
    }
    api.get("/metrics", null); // the scrape's own series exist from the next scrape on
    int before = api.get("/metrics", null).body().split("\n").length;
    for (int i = 3; i < 60; i++) {
      Api.Res r = api.send("FROB" + i, "/api/v1/users/me", null, null, Map.of());
      assertThat(r.status()).isBetween(400, 499);
    }
    String scrape = api.get("/metrics", null).body();
    Matcher m = METHOD.matcher(scrape);
    java.util.Set<String> methods = new java.util.TreeSet<>();
    while (m.find()) {
      methods.add(m.group(1));
    }
    assertThat(methods).contains("OTHER").noneMatch(v -> v.startsWith("FROB"));
    // 57 more made-up names added ~96 lines each before; now the scrape stays the size it was (a
    // JVM meter may still appear meanwhile, hence less than one method's worth, not equality).
    assertThat(scrape.split("\n").length).isLessThan(before + 96);
  }
}
