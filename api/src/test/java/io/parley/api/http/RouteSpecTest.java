package io.parley.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.accounts.AccountsFeature;
import io.parley.api.assistant.AssistantFeature;
import io.parley.api.meals.MealsFeature;
import io.vertx.core.http.HttpMethod;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which rate-limit class counts a request and how its body is read, from the specs the node declares. */
class RouteSpecTest {

  private static final List<RouteSpec> NODE = nodeSpecs();

  @ParameterizedTest(name = "{0} {1} -> {2}, {3}")
  @CsvSource({
      "POST,   /api/v1/auth/login,        AUTH,   JSON",
      "POST,   /api/v1/auth/signup,       AUTH,   JSON",
      "GET,    /api/v1/auth/me,           API,    JSON",
      "GET,    /api/v1/users/me,          API,    JSON",
      "GET,    /api/v1/openapi.json,      -,      JSON",
      "POST,   /api/v1/vision/analyze,    VISION, PHOTO",
      "POST,   /api/v1/meals,             VISION, PHOTO",
      "GET,    /api/v1/meals,             API,    PHOTO",
      "GET,    /api/v1/meals/123,         API,    JSON",
      "POST,   /v1/chat/completions,      CHAT,   JSON",
      "POST,   /v1/audio/transcriptions,  VOICE,  AUDIO",
      "POST,   /v1/audio/speech,          VOICE,  JSON",
      "GET,    /health/ready,             -,      JSON",
      "GET,    /assets/app.js,            -,      JSON",
  })
  void theMostSpecificSpecDecides(String method, String path, String limit, String body) {
    RouteSpec spec = NODE.stream().filter(s -> s.matches(HttpMethod.valueOf(method), path)).findFirst()
        .orElse(null);
    String actualLimit = spec == null ? "-" : spec.limit().map(Enum::name).orElse("-");
    String actualBody = spec == null ? "JSON" : spec.body().name();
    assertThat(actualLimit + " " + actualBody).isEqualTo(limit + " " + body);
  }

  private static List<RouteSpec> nodeSpecs() {
    List<RouteSpec> all = new ArrayList<>(HttpApi.OWN_SPECS);
    all.addAll(new AccountsFeature(null, null, null, null, null, null, null, null, null).specs());
    all.addAll(new MealsFeature(null, null, null, null, null, null).specs());
    all.addAll(AssistantFeature.SPECS);
    return RouteSpec.sorted(all);
  }
}
