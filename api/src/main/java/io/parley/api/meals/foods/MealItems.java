package io.parley.api.meals.foods;

import io.parley.api.http.ApiProblem;
import io.parley.api.meals.foods.Food.Portion;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Optional;

/**
 * A meal's items as stored and shown, whatever they came from (a photo, a text, a list): each item
 * names its food (NDB number, description, source), the amount ({@code quantity} of a {@code portion},
 * or grams alone) and {@code portion_g}, the nutrients of that amount and a {@code confidence} 0..1;
 * the meal's totals are the sums of its items, its confidence their gram-weighted mean.
 */
public final class MealItems {

  /** Items in one meal, at most. */
  public static final int MAX_ITEMS = 50;
  /** Grams of one item, at most (a whole cake is 1.7 kg). */
  public static final double MAX_GRAMS = 5000;

  private MealItems() {}

  /** The item for {@code grams} of {@code food}. */
  public static JsonObject item(Food food, double grams, double quantity, Optional<Portion> portion, double confidence) {
    return new JsonObject()
        .put("food", food.summary())
        .put("quantity", Nutrients.round(quantity, 3))
        .put("portion", portion.map(Portion::json).orElse(null))
        .put("portion_g", Nutrients.round(grams, 1))
        .put("nutrients", food.per100g().forGrams(grams).json())
        .put("confidence", Nutrients.round(confidence, 3));
  }

  /** The alternatives a reading considered, as an item lists them. */
  public static JsonArray alternatives(List<FoodSearch.Match> matches) {
    JsonArray a = new JsonArray();
    for (FoodSearch.Match m : matches) {
      a.add(new JsonObject().put("ndb", m.food().ndb()).put("description", m.food().description())
          .put("confidence", Nutrients.round(m.confidence(), 3)));
    }
    return a;
  }

  /** The item of a text reading. */
  public static JsonObject item(FoodText.Item i) {
    return item(i.food().food(), i.grams(), i.quantity(), i.portion(), i.confidence())
        .put("text", i.text()).put("alternatives", alternatives(i.alternatives()));
  }

  /** The unresolved parts of a text reading. */
  public static JsonArray unresolved(List<FoodText.Unresolved> parts) {
    JsonArray a = new JsonArray();
    parts.forEach(u -> a.add(new JsonObject().put("text", u.text()).put("reason", u.reason())));
    return a;
  }

  /**
   * An item a client lists: {@code {ndb, grams}} or {@code {ndb, portion, quantity}} ({@code portion}
   * names one of the food's portions, e.g. "slice" or "1 cup, sliced"; {@code quantity} defaults to 1).
   * A listed item is what the user says they ate: confidence 1.
   */
  public static JsonObject fromRequest(FoodTable table, Object value, String pointer) {
    if (!(value instanceof JsonObject o)) {
      throw ApiProblem.field(pointer, "type", "each item is an object like {\"ndb\": \"09040\", \"grams\": 118}");
    }
    Object ndbValue = o.getValue("ndb");
    if (!(ndbValue instanceof String ndb) || ndb.isBlank()) {
      throw ApiProblem.field(pointer + "/ndb", "required", "ndb (the food's NDB number, a string like \"09040\") is required");
    }
    Food food = table.get(ndb.strip()).orElseThrow(() -> ApiProblem.field(pointer + "/ndb", "unknown",
        "no food with NDB number " + ndb + " (GET /api/v1/foods?q= finds one)"));
    double quantity = number(o, "quantity", pointer, 1.0, 0.001, 10_000);
    Object portionValue = o.getValue("portion");
    Object gramsValue = o.getValue("grams");
    if (gramsValue != null && portionValue != null) {
      throw ApiProblem.field(pointer + "/grams", "oneOf", "give grams or a portion with a quantity, not both");
    }
    if (gramsValue != null) {
      double grams = number(o, "grams", pointer, null, 0.1, MAX_GRAMS);
      return item(food, grams, grams, Optional.empty(), 1.0);
    }
    if (!(portionValue instanceof String name) || name.isBlank()) {
      throw ApiProblem.field(pointer + "/grams", "required", "give grams, or a portion (one of: "
          + String.join(", ", food.portions().stream().map(Portion::name).toList()) + ") with a quantity");
    }
    Portion p = portion(food, name.strip()).orElseThrow(() -> ApiProblem.field(pointer + "/portion", "enum",
        "\"" + food.description() + "\" has no portion \"" + name + "\"; its portions: "
            + String.join(", ", food.portions().stream().map(Portion::name).toList())));
    double grams = quantity * p.gramsPerUnit();
    if (grams > MAX_GRAMS) {
      throw ApiProblem.field(pointer + "/quantity", "maximum", "at most " + (int) MAX_GRAMS + " g in one item");
    }
    return item(food, grams, quantity, Optional.of(p), 1.0);
  }

  /** A portion by its exact name, else the first whose name has the word. */
  static Optional<Portion> portion(Food food, String name) {
    for (Portion p : food.portions()) {
      if (p.name().equalsIgnoreCase(name) || p.label().equalsIgnoreCase(name)) {
        return Optional.of(p);
      }
    }
    return name.contains(" ") ? Optional.empty() : food.portion(Words.singular(name.toLowerCase()));
  }

  private static double number(JsonObject o, String key, String pointer, Double fallback, double min, double max) {
    Object v = o.getValue(key);
    if (v == null && fallback != null) {
      return fallback;
    }
    if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue()) || n.doubleValue() < min || n.doubleValue() > max) {
      throw ApiProblem.field(pointer + "/" + key, "range", key + " must be a number from " + Nutrients.plain(min)
          + " to " + Nutrients.plain(max));
    }
    return n.doubleValue();
  }

  /** The totals of {@code items}: kcal, protein_g, carbs_g, fat_g, fiber_g, sugars_g, sodium_mg. */
  public static JsonObject totals(JsonArray items) {
    Nutrients sum = Nutrients.ZERO;
    for (int i = 0; i < items.size(); i++) {
      JsonObject n = items.getJsonObject(i).getJsonObject("nutrients");
      if (n != null) {
        sum = sum.plus(Nutrients.fromJson(n));
      }
    }
    return sum.json();
  }

  /** The gram-weighted mean confidence of {@code items} (0 with no grams). */
  public static double confidence(JsonArray items) {
    double weighted = 0;
    double grams = 0;
    for (int i = 0; i < items.size(); i++) {
      JsonObject it = items.getJsonObject(i);
      Double g = it.getDouble("portion_g");
      Double c = it.getDouble("confidence");
      if (g != null && c != null) {
        weighted += g * c;
        grams += g;
      }
    }
    return grams == 0 ? 0 : Nutrients.round(weighted / grams, 3);
  }
}
