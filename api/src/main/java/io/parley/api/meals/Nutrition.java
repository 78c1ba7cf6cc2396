package io.parley.api.meals;

import io.parley.inference.vision.Detection;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * From detections to a meal estimate: the COCO food classes found, a portion per item and its
 * nutrients from a small table of USDA FoodData Central entries ({@code nutrition/fdc.json}: per
 * 100 g, each with its FDC id and description).
 *
 * <p><b>Portion heuristic.</b> Each food has a typical portion (grams, the FDC portion named in the
 * table) and the share of a dinner plate that portion typically covers. When a plate, bowl or dining
 * table is detected, the item's box area relative to the largest such box, divided by that typical
 * share, scales the typical portion; with no reference in the picture the box relative to the whole
 * image is used, with the share doubled (photos of food are framed tighter than a table). The scale
 * is clamped to 0.5..2.5 portions. Confidence of an item = detection confidence x 0.8 with a
 * reference (0.5 without); the meal's confidence is the portion-weighted mean. Boxes see 2-D area,
 * not volume or hidden food: this is an estimate to log, not a measurement.
 *
 * <p>Food classes without a verified entry ({@code without_entry}: sandwich, donut, cake) are listed
 * with {@code nutrients: null} and do not count in the totals.
 */
public final class Nutrition {

  public static final Set<String> FOOD = Set.of("banana", "apple", "sandwich", "orange", "broccoli", "carrot",
      "hot dog", "pizza", "donut", "cake");
  static final Set<String> REFERENCES = Set.of("dining table", "bowl");
  static final double MIN_SCALE = 0.5;
  static final double MAX_SCALE = 2.5;

  private final JsonObject table;

  public Nutrition() {
    try (InputStream in = Nutrition.class.getResourceAsStream("/nutrition/fdc.json")) {
      if (in == null) {
        throw new IllegalStateException("nutrition/fdc.json is missing from the classpath");
      }
      table = new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("nutrition/fdc.json unreadable", e);
    }
  }

  /** The table entry of a food, if it has one. */
  public Optional<JsonObject> entry(String label) {
    return Optional.ofNullable(table.getJsonObject("foods").getJsonObject(label));
  }

  public String source() {
    return table.getString("source");
  }

  /** The meal estimate: {@code items}, {@code totals}, {@code confidence}, {@code reference}. */
  public JsonObject estimate(List<Detection> objects, double imageWidth, double imageHeight) {
    Detection reference = null;
    for (Detection d : objects) {
      if ((REFERENCES.contains(d.label()) || "plate".equals(d.label()))
          && (reference == null || d.area() > reference.area())) {
        reference = d;
      }
    }
    double refArea = reference != null ? reference.area() : imageWidth * imageHeight;
    double shareFactor = reference != null ? 1.0 : 2.0;
    List<JsonObject> items = new ArrayList<>();
    double kcal = 0;
    double protein = 0;
    double carbs = 0;
    double fat = 0;
    double weighted = 0;
    double grams = 0;
    for (Detection d : objects) {
      if (!FOOD.contains(d.label())) {
        continue;
      }
      JsonObject item = new JsonObject().put("label", d.label()).put("confidence", round(d.confidence(), 3))
          .put("bbox", new JsonArray().add(round(d.x1(), 1)).add(round(d.y1(), 1)).add(round(d.x2(), 1))
              .add(round(d.y2(), 1)));
      Optional<JsonObject> e = entry(d.label());
      if (e.isEmpty()) {
        items.add(item.putNull("portion_g").putNull("nutrients").put("note", "no verified FDC entry for this food yet"));
        continue;
      }
      JsonObject food = e.get();
      double share = refArea <= 0 ? 1 : d.area() / refArea;
      double scale = Math.max(MIN_SCALE, Math.min(MAX_SCALE, share / (food.getDouble("plate_share") * shareFactor)));
      double g = food.getDouble("portion_g") * scale;
      double f = g / 100.0;
      double itemConfidence = d.confidence() * (reference != null ? 0.8 : 0.5);
      JsonObject n = new JsonObject().put("kcal", round(food.getDouble("kcal") * f, 1))
          .put("protein_g", round(food.getDouble("protein_g") * f, 1))
          .put("carbs_g", round(food.getDouble("carbs_g") * f, 1))
          .put("fat_g", round(food.getDouble("fat_g") * f, 1));
      items.add(item.put("portion_g", round(g, 0)).put("portion_confidence", round(itemConfidence, 3))
          .put("nutrients", n)
          .put("fdc", new JsonObject().put("fdc_id", food.getInteger("fdc_id"))
              .put("description", food.getString("description"))));
      kcal += food.getDouble("kcal") * f;
      protein += food.getDouble("protein_g") * f;
      carbs += food.getDouble("carbs_g") * f;
      fat += food.getDouble("fat_g") * f;
      weighted += itemConfidence * g;
      grams += g;
    }
    return new JsonObject()
        .put("items", new JsonArray(items))
        .put("totals", new JsonObject().put("kcal", round(kcal, 1)).put("protein_g", round(protein, 1))
            .put("carbs_g", round(carbs, 1)).put("fat_g", round(fat, 1)))
        .put("confidence", grams == 0 ? 0.0 : round(weighted / grams, 3))
        .put("reference", reference == null ? "image" : reference.label());
  }

  static double round(double v, int places) {
    double f = Math.pow(10, places);
    return Math.round(v * f) / f;
  }
}
