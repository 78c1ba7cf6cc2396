package io.parley.api.meals;

import static io.parley.api.support.ErrorShape.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.parley.api.support.Api;
import io.parley.api.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The food table and meals without a photo, over HTTP with PostgreSQL: search, a food, a text read
 * and logged, a list of foods logged, a correction, and the daily totals that follow.
 */
class FoodApiTest {

  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start(Map.of());
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void searchAndOneFood() {
    Api api = node.api();
    String token = api.newUser().getString("access_token");
    JsonObject found = api.get("/api/v1/foods?q=bananas&limit=3", token).json();
    assertThat(found.getInteger("count")).isEqualTo(3);
    JsonObject banana = found.getJsonArray("items").getJsonObject(0);
    assertThat(banana.getString("ndb")).isEqualTo("09040");
    assertThat(banana.getJsonObject("per_100g").getDouble("kcal")).isEqualTo(89.0);
    assertThat(banana.getJsonArray("portions").stream().map(p -> ((JsonObject) p).getString("name")))
        .contains("medium (7\" to 7-7/8\" long)");
    assertThat(api.get("/api/v1/foods?q=french%20fries", token).json().getJsonArray("items").getJsonObject(0)
        .getString("ndb")).isEqualTo("21138");
    assertThat(api.get("/api/v1/foods?q=xyzzy", token).json().getJsonArray("items")).isEmpty();

    JsonObject egg = api.get("/api/v1/foods/01123", token).json();
    assertThat(egg.getString("description")).isEqualTo("Egg, whole, raw, fresh");
    assertThat(egg.getString("source")).isEqualTo("USDA SR24, NDB 01123");
    assertError(api.get("/api/v1/foods/99999", token), 404, "not_found");
    assertError(api.get("/api/v1/foods?limit=3", token), 400, "validation_failed");
    assertError(api.get("/api/v1/foods?q=egg&limit=0", token), 400, "validation_failed");
    assertError(api.get("/api/v1/foods?q=egg&limit=many", token), 400, "validation_failed");
    assertError(api.get("/api/v1/foods?q=" + "x".repeat(201), token), 400, "validation_failed");
    assertThat(api.get("/api/v1/foods?q=egg", null).status()).as("signed in only").isEqualTo(401);
  }

  @Test
  void aTextIsReadForConfirmationThenLoggedWithWhatCouldNotBeRead() {
    Api api = node.api();
    String token = api.newUser().getString("access_token");
    String text = "two eggs and a slice of whole wheat toast, a bowl of xyzzy";
    JsonObject preview = api.post("/api/v1/foods/parse", token, new JsonObject().put("text", text)).json();
    assertThat(preview.getJsonArray("items")).hasSize(2);
    assertThat(preview.getJsonArray("unresolved").getJsonObject(0).getString("text")).isEqualTo("a bowl of xyzzy");

    Instant noon = LocalDate.now(ZoneOffset.UTC).atTime(12, 0).toInstant(ZoneOffset.UTC);
    Api.Res created = api.post("/api/v1/meals", token, new JsonObject().put("text", text)
        .put("logged_at", noon.toString()));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    JsonObject meal = created.json();
    assertThat(meal.getString("source")).isEqualTo("text");
    assertThat(meal.getString("description")).isEqualTo(text);
    JsonArray items = meal.getJsonArray("items");
    assertThat(items).hasSize(2);
    JsonObject eggs = items.getJsonObject(0);
    assertThat(eggs.getJsonObject("food").getString("ndb")).isEqualTo("01123");
    assertThat(eggs.getDouble("quantity")).isEqualTo(2.0);
    assertThat(eggs.getDouble("portion_g")).isEqualTo(88.0);
    assertThat(eggs.getJsonObject("nutrients").getDouble("kcal")).isCloseTo(143 * 0.88, within(0.06));
    assertThat(eggs.getJsonArray("alternatives")).isNotEmpty();
    assertThat(meal.getJsonArray("unresolved").getJsonObject(0).getString("reason")).contains("no food");
    double kcal = eggs.getJsonObject("nutrients").getDouble("kcal")
        + items.getJsonObject(1).getJsonObject("nutrients").getDouble("kcal");
    assertThat(meal.getJsonObject("totals").getDouble("kcal")).isCloseTo(kcal, within(0.11));
    assertThat(meal.getJsonObject("totals").getDouble("sodium_mg")).isPositive();

    // Nothing readable: nothing logged, and every part says why.
    Api.Res nothing = api.post("/api/v1/meals", token, new JsonObject().put("text", "some xyzzy and a plate of qwerty"));
    assertError(nothing, 422, "no_food_resolved");
    assertThat(nothing.json().getJsonObject("error").getJsonArray("details")).hasSize(2);
    String day = noon.toString().substring(0, 10);
    assertThat(api.get("/api/v1/meals?from=" + day + "&to=" + day, token).json().getJsonArray("items")).hasSize(1);
  }

  @Test
  void itemsAreLoggedAndCorrectedAndTheDailyTotalsFollow() {
    Api api = node.api();
    String token = api.newUser().getString("access_token");
    String stranger = api.newUser().getString("access_token");
    Instant noon = LocalDate.now(ZoneOffset.UTC).atTime(12, 0).toInstant(ZoneOffset.UTC);
    String day = noon.toString().substring(0, 10);
    JsonObject banana = new JsonObject().put("ndb", "09040").put("portion", "medium").put("quantity", 2);
    JsonObject rice = new JsonObject().put("ndb", "20045").put("grams", 150);
    Api.Res created = api.post("/api/v1/meals", token, new JsonObject().put("items", new JsonArray().add(banana).add(rice))
        .put("logged_at", noon.toString()));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    JsonObject meal = created.json();
    assertThat(meal.getString("source")).isEqualTo("items");
    assertThat(meal.getJsonArray("items").getJsonObject(0).getDouble("portion_g")).isEqualTo(236.0);
    assertThat(meal.getDouble("confidence")).as("what the user says they ate").isEqualTo(1.0);
    String id = meal.getString("id");
    double before = api.get("/api/v1/meals?from=" + day + "&to=" + day, token).json().getJsonArray("days")
        .getJsonObject(0).getDouble("kcal");
    assertThat(before).isCloseTo(89 * 2.36 + 130 * 1.5, within(0.2));

    // The user ate one banana, not two, and no rice.
    Api.Res patched = api.send("PATCH", "/api/v1/meals/" + id, token, new JsonObject().put("items", new JsonArray()
        .add(new JsonObject().put("ndb", "09040").put("portion", "medium"))), Map.of());
    assertThat(patched.status()).as(patched.body()).isEqualTo(200);
    assertThat(patched.json().getJsonArray("items")).hasSize(1);
    assertThat(patched.json().getJsonObject("totals").getDouble("kcal")).isCloseTo(105.0, within(0.1));
    assertThat(patched.json().getString("updated_at")).isNotNull();
    JsonObject dayAfter = api.get("/api/v1/meals?from=" + day + "&to=" + day, token).json().getJsonArray("days")
        .getJsonObject(0);
    assertThat(dayAfter.getDouble("kcal")).isCloseTo(105.0, within(0.1));
    assertThat(dayAfter.getInteger("meals")).isEqualTo(1);

    assertError(api.send("PATCH", "/api/v1/meals/" + id, stranger, new JsonObject().put("items", new JsonArray()
        .add(rice)), Map.of()), 404, "not_found");
    assertError(api.send("PATCH", "/api/v1/meals/" + id, token, new JsonObject().put("items", new JsonArray()),
        Map.of()), 400, "validation_failed");
    assertThat(api.get("/api/v1/meals/" + id, token).json().getJsonArray("items")).as("a refused change changes nothing")
        .hasSize(1);
  }

  @Test
  void badMealBodiesGetClearErrorsAndLogNothing() {
    Api api = node.api();
    String token = api.newUser().getString("access_token");
    assertError(api.post("/api/v1/meals", token, new JsonObject()), 400, "validation_failed");
    assertError(api.post("/api/v1/meals", token, new JsonObject().put("text", "egg").put("items", new JsonArray())),
        400, "validation_failed");
    assertError(api.post("/api/v1/meals", token, new JsonObject().put("text", "x".repeat(2001))), 400,
        "validation_failed");
    assertError(api.post("/api/v1/meals", token, new JsonObject().put("items", new JsonArray().add("banana"))), 400,
        "validation_failed");
    Api.Res unknown = api.post("/api/v1/meals", token, new JsonObject().put("items", new JsonArray()
        .add(new JsonObject().put("ndb", "09040").put("grams", 100)).add(new JsonObject().put("ndb", "00000")
            .put("grams", 100))));
    assertError(unknown, 400, "validation_failed");
    assertThat(unknown.body()).contains("/items/1/ndb");
    Api.Res noPortion = api.post("/api/v1/meals", token, new JsonObject().put("items", new JsonArray()
        .add(new JsonObject().put("ndb", "09040").put("portion", "bucket"))));
    assertError(noPortion, 400, "validation_failed");
    assertThat(noPortion.body()).contains("medium");
    assertError(api.post("/api/v1/meals", token, new JsonObject().put("items", new JsonArray()
        .add(new JsonObject().put("ndb", "09040").put("grams", -5)))), 400, "validation_failed");
    assertError(api.post("/api/v1/meals", token, new JsonObject().put("items", new JsonArray()
        .add(new JsonObject().put("ndb", "09040").put("grams", 100).put("portion", "medium")))), 400, "validation_failed");
    assertError(api.send("POST", "/api/v1/meals", token, "{not json", Map.of()), 400, "invalid_body");
    assertThat(api.get("/api/v1/meals", token).json().getJsonArray("items")).isEmpty();
  }
}
