package io.parley.api.http;

import static io.parley.api.support.ApiAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.ErrorShape;
import io.parley.api.support.Multipart;
import io.parley.api.support.TestNode;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.openapi.contract.OpenAPIContract;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every REST route the node mounts is in one of its two OpenAPI documents, and every operation they
 * describe is mounted: the router's routes are listed and compared with the documents the node
 * serves ({@code /api/v1/openapi.json} and, for the OpenAI-compatible routes, {@code /v1/openapi.json}).
 * Both documents load as OpenAPI contracts, and the multipart uploads (photos, meals, audio) are
 * validated against them like the JSON routes.
 */
class ContractCoverageTest {

  private static final TestNode NODE = TestNode.shared();
  private final Api api = NODE.api();

  /**
   * What the router serves that is not a REST route: the web client's static files, the fallback for
   * any GET path no route took.
   */
  private static final Set<String> NOT_REST = Set.of("GET /");

  @Test
  void everyMountedRouteIsDocumentedAndEveryDocumentedOperationIsMounted() {
    Set<String> mounted = new TreeSet<>();
    for (Route r : NODE.server().router().getRoutes()) {
      if (r.getPath() == null || r.methods() == null || r.methods().isEmpty()) {
        continue; // the handlers every request passes (log, headers, body, token, limits), not routes
      }
      for (HttpMethod m : r.methods()) {
        mounted.add(m.name() + " " + normal(r.getPath()));
      }
    }
    Set<String> documented = new TreeSet<>();
    documented.addAll(operations(served(HttpApi.CONTRACT_PATH)));
    documented.addAll(operations(served(HttpApi.OPENAI_CONTRACT_PATH)));

    Set<String> undocumented = new TreeSet<>(mounted);
    undocumented.removeAll(documented);
    undocumented.removeAll(NOT_REST);
    Set<String> unmounted = new TreeSet<>(documented);
    unmounted.removeAll(mounted);
    assertThat(undocumented).as("mounted routes missing from the OpenAPI documents").isEmpty();
    assertThat(unmounted).as("documented operations the router does not mount").isEmpty();
    assertThat(mounted).contains("POST /api/v1/meals", "POST /api/v1/vision/analyze", "POST /v1/chat/completions",
        "POST /v1/audio/transcriptions", "GET /health/ready", "GET /v1/openapi.json");
  }

  @Test
  void bothDocumentsAreOpenApiContractsAndTheUploadsAreMultipartForms() throws Exception {
    for (String path : new String[] {HttpApi.CONTRACT_PATH, HttpApi.OPENAI_CONTRACT_PATH}) {
      JsonObject doc = served(path);
      OpenAPIContract contract = OpenAPIContract.from(NODE.server().vertx(), ContractDocument.forRouter(doc))
          .await(30, TimeUnit.SECONDS);
      assertThat(contract.operations()).as(path).isNotEmpty();
    }
    JsonObject parley = served(HttpApi.CONTRACT_PATH).getJsonObject("paths");
    assertThat(parley.getJsonObject("/api/v1/vision/analyze").getJsonObject("post").getJsonObject("requestBody")
        .getJsonObject("content").fieldNames()).containsExactly("multipart/form-data");
    assertThat(parley.getJsonObject("/api/v1/meals").getJsonObject("post").getJsonObject("requestBody")
        .getJsonObject("content").fieldNames()).containsExactlyInAnyOrder("multipart/form-data", "application/json");
    assertThat(served(HttpApi.OPENAI_CONTRACT_PATH).getJsonObject("paths").getJsonObject("/v1/audio/transcriptions")
        .getJsonObject("post").getJsonObject("requestBody").getJsonObject("content").fieldNames())
        .containsExactly("multipart/form-data");
  }

  @Test
  void multipartUploadsAreValidatedAgainstTheirForms() throws Exception {
    String token = api.newUser().getString("access_token");
    String base = NODE.baseUrl();
    byte[] photo = "not looked at before the form is valid".getBytes(StandardCharsets.UTF_8);

    assertThat(ErrorShape.fields(assertError(Multipart.post(base + "/api/v1/vision/analyze", token, "image", null,
        null, Map.of("task", "objects")), 400, "validation_failed"))).containsExactly("/image");
    assertThat(ErrorShape.fields(assertError(Multipart.post(base + "/api/v1/vision/analyze", token, "image", photo,
        "p.jpg", Map.of("task", "everything")), 400, "validation_failed"))).containsExactly("/task");
    assertThat(ErrorShape.fields(assertError(Multipart.post(base + "/api/v1/meals", token, "image", photo,
        "p.jpg", Map.of("store_image", "maybe")), 400, "validation_failed"))).containsExactly("/store_image");
    assertThat(ErrorShape.fields(assertError(Multipart.post(base + "/v1/audio/transcriptions", token, "file", null,
        null, Map.of("language", "en")), 400, "validation_failed"))).containsExactly("/file");
    Api.Res audio = Multipart.post(base + "/v1/audio/transcriptions", token, "file", photo, "a.wav",
        Map.of("language", "en", "temperature", "0", "model", "whisper-1", "prompt", "p"));
    assertThat(audio.status() == 400 ? ErrorShape.fields(audio.error()) : java.util.List.<String>of())
        .as("a valid form reaches the handler, which reads the audio: %s", audio.body())
        .doesNotContain("/file", "/language", "/temperature", "/model", "/prompt");

    // A valid form passes to the handler (this node analyses no photos: 503, not a validation error).
    assertError(Multipart.post(base + "/api/v1/meals", token, "image", photo, "p.jpg", Map.of("store_image", "false")),
        503, "unavailable");
  }

  @Test
  void theJsonBodyOfAMealIsValidatedByTheContract() {
    String token = api.newUser().getString("access_token");

    assertError(api.post("/api/v1/meals", token, new JsonObject().put("text", 5)), 400, "validation_failed");
    assertError(api.post("/api/v1/meals", token, new JsonObject().put("items", "eggs")), 400, "validation_failed");
    // Not JSON at all: the handler's own answer, as before the contract described the route.
    assertError(api.send("POST", "/api/v1/meals", token, "{not json", Map.of()), 400, "invalid_body");
    assertThat(api.post("/api/v1/meals", token, new JsonObject().put("text", "a banana")).status()).isEqualTo(201);
  }

  private JsonObject served(String path) {
    Api.Res r = api.get(path, null);
    assertThat(r.status()).as(path).isEqualTo(200);
    return r.json();
  }

  private static Set<String> operations(JsonObject doc) {
    Set<String> out = new TreeSet<>();
    JsonObject paths = doc.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      for (String method : paths.getJsonObject(path).fieldNames()) {
        if (!method.equals("parameters")) {
          out.add(method.toUpperCase(java.util.Locale.ROOT) + " " + normal(path));
        }
      }
    }
    return out;
  }

  /** A path with its parameters unnamed, in either spelling: /a/{id} and /a/:id are /a/{}. */
  private static String normal(String path) {
    return path.replaceAll("\\{[^}/]+}", "{}").replaceAll(":[A-Za-z0-9_]+", "{}");
  }
}
