package io.parley.api.meals;

import io.parley.api.meals.foods.Food;
import io.parley.api.meals.foods.Food.Portion;
import io.parley.api.meals.foods.FoodLabels;
import io.parley.api.meals.foods.FoodSearch;
import io.parley.api.meals.foods.FoodText;
import io.parley.api.meals.foods.MealItems;
import io.parley.inference.vision.Detection;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * From detections to a meal estimate: the food a detector found, a portion per item and its
 * nutrients from the USDA table. Which labels are food, and which food they are, is data
 * ({@link FoodLabels}); with label search on, a label not listed is looked up by name. Each item
 * lists alternatives (the search's next foods for its label) for the user to confirm or swap.
 *
 * <p><b>Portion heuristic.</b> Each food label has a usual portion and the share of a dinner plate
 * that portion covers. When a plate, bowl or dining table is detected, the item's box area relative
 * to the largest such box, divided by that share, scales the usual portion; with no reference in the
 * picture the box relative to the whole image is used, with the share doubled (photos of food are
 * framed tighter than a table). The scale is clamped to 0.5..2.5 portions. Confidence of an item =
 * detection confidence x 0.8 with a reference (0.5 without), times the search's confidence for a
 * label found by search; the meal's confidence is the portion-weighted mean. Boxes see 2-D area, not
 * volume or hidden food: this is an estimate to confirm or correct, not a measurement.
 */
public final class Nutrition {

  static final Set<String> REFERENCES = Set.of("dining table", "bowl", "plate");
  static final double MIN_SCALE = 0.5;
  static final double MAX_SCALE = 2.5;
  /** The plate share assumed for a food found by label search (no mapping says better). */
  static final double SEARCH_PLATE_SHARE = 0.2;
  /** Other foods an item offers to be confirmed as. */
  static final int ALTERNATIVES = 3;

  private final FoodLabels labels;
  private final FoodSearch search;
  private final boolean searchLabels;

  /**
   * @param searchLabels whether a label missing from {@code labels} is looked up by name; either way
   *                     the search offers alternatives to confirm a photo's items against
   */
  public Nutrition(FoodLabels labels, FoodSearch search, boolean searchLabels) {
    this.labels = labels;
    this.search = search;
    this.searchLabels = searchLabels;
  }

  private record Resolved(Food food, Portion portion, double plateShare, OptionalInt fdcId, double confidence,
                          List<FoodSearch.Match> alternatives) {}

  /** Whether a label is food here. */
  public boolean isFood(String label) {
    return resolve(label).isPresent();
  }

  private Optional<Resolved> resolve(String label) {
    Optional<FoodLabels.Entry> e = labels.get(label);
    if (e.isPresent()) {
      FoodLabels.Entry x = e.get();
      List<FoodSearch.Match> others = search.search(label, ALTERNATIVES + 1).stream()
          .filter(m -> !m.food().ndb().equals(x.food().ndb())).limit(ALTERNATIVES).toList();
      return Optional.of(new Resolved(x.food(), x.portion(), x.plateShare(), x.fdcId(), 1.0, others));
    }
    if (!searchLabels) {
      return Optional.empty();
    }
    List<FoodSearch.Match> found = search.search(label.replace('_', ' '), ALTERNATIVES + 1, false);
    if (found.isEmpty() || !found.get(0).names()) {
      return Optional.empty();
    }
    Food food = found.get(0).food();
    Optional<Portion> portion = FoodText.unitPortion(food).or(() -> food.portions().stream().findFirst());
    return portion.map(p -> new Resolved(food, p, SEARCH_PLATE_SHARE, OptionalInt.empty(), found.get(0).confidence(),
        found.subList(1, found.size())));
  }

  /** Where the nutrient values come from. */
  public String source() {
    return "USDA National Nutrient Database for Standard Reference, Release 24: nutrients per 100 g of the food as"
        + " described; each item cites its NDB number";
  }

  /** The meal estimate: {@code items}, {@code totals}, {@code confidence}, {@code reference}. */
  public JsonObject estimate(List<Detection> objects, double imageWidth, double imageHeight) {
    Detection reference = null;
    for (Detection d : objects) {
      if (REFERENCES.contains(d.label()) && (reference == null || d.area() > reference.area())) {
        reference = d;
      }
    }
    double refArea = reference != null ? reference.area() : imageWidth * imageHeight;
    double shareFactor = reference != null ? 1.0 : 2.0;
    List<JsonObject> items = new ArrayList<>();
    for (Detection d : objects) {
      if (REFERENCES.contains(d.label())) {
        continue;
      }
      Optional<Resolved> r = resolve(d.label());
      if (r.isEmpty()) {
        continue;
      }
      Resolved food = r.get();
      double share = refArea <= 0 ? 1 : d.area() / refArea;
      double scale = Math.max(MIN_SCALE, Math.min(MAX_SCALE, share / (food.plateShare() * shareFactor)));
      double grams = food.portion().gramsPerUnit() * scale;
      double confidence = d.confidence() * (reference != null ? 0.8 : 0.5) * food.confidence();
      JsonObject item = MealItems.item(food.food(), grams, scale, Optional.of(food.portion()), confidence)
          .put("label", d.label()).put("detection_confidence", round(d.confidence(), 3))
          .put("bbox", new JsonArray().add(round(d.x1(), 1)).add(round(d.y1(), 1)).add(round(d.x2(), 1))
              .add(round(d.y2(), 1)));
      food.fdcId().ifPresent(id -> item.getJsonObject("food").put("fdc_id", id));
      if (!food.alternatives().isEmpty()) {
        item.put("alternatives", MealItems.alternatives(food.alternatives()));
      }
      items.add(item);
    }
    JsonArray all = new JsonArray(items);
    return new JsonObject()
        .put("items", all)
        .put("totals", MealItems.totals(all))
        .put("confidence", MealItems.confidence(all))
        .put("reference", reference == null ? "image" : reference.label());
  }

  static double round(double v, int places) {
    double f = Math.pow(10, places);
    return Math.round(v * f) / f;
  }
}
