package io.parley.api.meals;

import static io.parley.api.support.ErrorShape.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.parley.api.support.Api;
import io.parley.api.support.TestNode;
import io.parley.inference.vision.Photos;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The meal log end to end over HTTP with PostgreSQL and the real detector on Debian's fruit photo. */
class MealApiTest {

  private static TestNode node;
  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    node = TestNode.start(Map.of(
        "PARLEY_VISION_ENABLED", "true",
        "PARLEY_VISION_MODEL", "nanodet", // at 0.2 it finds both the orange and the banana: two items to sum
        "PARLEY_VISION_SCORE_THRESHOLD", "0.2",
        "PARLEY_RATE_LIMIT_VISION_PER_MINUTE", "100000"));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  static Api.Res postMeal(String token, byte[] photo, Map<String, String> fields) throws Exception {
    return io.parley.api.support.Multipart.post(node.baseUrl() + "/api/v1/meals", token, "image", photo, "meal.jpg",
        fields);
  }

  @Test
  void aMealIsLoggedListedWithDailyTotalsExportedAndDeleted() throws Exception {
    Api api = node.api();
    String token = api.newUser().getString("access_token");
    String stranger = api.newUser().getString("access_token");
    byte[] fruits = Files.readAllBytes(Photos.opencv("fruits.jpg"));
    Instant yesterdayNoon = LocalDate.now(ZoneOffset.UTC).minusDays(1).atTime(12, 0).toInstant(ZoneOffset.UTC);

    Api.Res created = postMeal(token, fruits, Map.of("store_image", "true", "logged_at", yesterdayNoon.toString()));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    JsonObject meal = created.json();
    assertThat(created.header("Location")).isEqualTo("/api/v1/meals/" + meal.getString("id"));
    assertThat(meal.getString("logged_at")).isEqualTo(yesterdayNoon.toString());
    JsonArray items = meal.getJsonArray("items");
    assertThat(items.stream().map(i -> ((JsonObject) i).getString("label")).toList()).contains("orange", "banana");
    double sum = 0;
    for (Object o : items) {
      JsonObject item = (JsonObject) o;
      if (item.getJsonObject("nutrients") != null) {
        assertThat(item.getJsonObject("food").getString("ndb")).matches("\\d{5}");
        assertThat(item.getJsonObject("food").getString("source")).startsWith("USDA SR24, NDB ");
        assertThat(item.getDouble("portion_g")).isPositive();
        sum += item.getJsonObject("nutrients").getDouble("kcal");
      }
    }
    JsonObject totals = meal.getJsonObject("totals");
    assertThat(totals.getDouble("kcal")).as("totals are the items' sum").isPositive().isCloseTo(sum, within(0.5 * items.size()));
    assertThat(meal.getDouble("confidence")).isBetween(0.01, 1.0);
    assertThat(meal.getJsonObject("image")).as("kept on request").isNotNull();
    String id = meal.getString("id");

    // Daily totals over two days: yesterday has the meal, today nothing.
    String range = "?from=" + yesterdayNoon.toString().substring(0, 10) + "&to=" + LocalDate.now(ZoneOffset.UTC);
    JsonObject list = api.get("/api/v1/meals" + range, token).json();
    assertThat(list.getJsonArray("items")).hasSize(1);
    JsonObject day = list.getJsonArray("days").getJsonObject(0);
    assertThat(day.getString("date")).isEqualTo(yesterdayNoon.toString().substring(0, 10));
    assertThat(day.getInteger("meals")).isEqualTo(1);
    assertThat(day.getDouble("kcal")).isCloseTo(totals.getDouble("kcal"), within(0.05));

    assertThat(api.get("/api/v1/meals/" + id, token).json().getString("id")).isEqualTo(id);
    HttpResponse<byte[]> photo = CLIENT.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/api/v1/meals/" + id
        + "/image")).header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(photo.statusCode()).isEqualTo(200);
    assertThat(photo.headers().firstValue("Content-Type")).hasValue("image/jpeg");
    assertThat(photo.body()).isEqualTo(fruits);

    // Strangers see nothing.
    assertError(api.get("/api/v1/meals/" + id, stranger), 404, "not_found");
    assertError(api.get("/api/v1/meals/" + id + "/image", stranger), 404, "not_found");
    assertError(api.delete("/api/v1/meals/" + id, stranger), 404, "not_found");
    assertThat(api.get("/api/v1/meals" + range, stranger).json().getJsonArray("items")).isEmpty();

    // The GDPR export carries the meal and its photo.
    JsonArray exported = api.get("/api/v1/users/me/export", token).json().getJsonArray("meals");
    assertThat(exported).hasSize(1);
    assertThat(Base64.getMimeDecoder().decode(exported.getJsonObject(0).getString("image_base64"))).isEqualTo(fruits);

    assertThat(api.delete("/api/v1/meals/" + id, token).status()).isEqualTo(204);
    assertError(api.get("/api/v1/meals/" + id, token), 404, "not_found");
    assertThat(api.get("/api/v1/meals" + range, token).json().getJsonArray("items")).isEmpty();
  }

  @Test
  void aPhotoIsNotKeptUnlessAskedAndBadRequestsAreClear() throws Exception {
    Api api = node.api();
    String token = api.newUser().getString("access_token");
    byte[] fruits = Files.readAllBytes(Photos.opencv("fruits.jpg"));
    Api.Res created = postMeal(token, fruits, Map.of());
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    assertThat(created.json().getValue("image")).isNull();
    assertError(api.get("/api/v1/meals/" + created.json().getString("id") + "/image", token), 404, "not_found");

    JsonObject noFood = assertError(postMeal(token, Files.readAllBytes(Photos.darknet("horses.jpg")), Map.of()), 422,
        "no_food_detected");
    assertThat(noFood.getString("message")).contains("horse");
    assertError(postMeal(token, fruits, Map.of("store_image", "maybe")), 400, "validation_failed");
    assertError(postMeal(token, fruits, Map.of("logged_at", "yesterday")), 400, "validation_failed");
    // A task other than meal is a mistake (it was analysed as a photo without food: 422).
    assertThat(io.parley.api.support.ErrorShape.fields(assertError(postMeal(token, fruits, Map.of("task", "bogus")),
        400, "validation_failed"))).containsExactly("/task");
    assertError(postMeal(token, "not an image".getBytes(StandardCharsets.UTF_8), Map.of()), 415, "unsupported_image_type");
    assertError(api.get("/api/v1/meals?from=2026-01-10&to=2026-01-01", token), 400, "validation_failed");
    assertError(api.get("/api/v1/meals?from=last-week", token), 400, "validation_failed");
    assertError(api.get("/api/v1/meals/not-a-uuid", token), 404, "not_found");
  }
}
