package io.parley.api.meals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.parley.inference.vision.Detection;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The meal estimate's arithmetic on boxes placed by hand, and the FDC table's own consistency. A
 * banana's table entry: 118 g portion covering 0.2 of a plate, 89 kcal / 100 g.
 */
class NutritionTest {

  private final Nutrition nutrition = new Nutrition();

  private static Detection box(String label, float confidence, float x1, float y1, float x2, float y2) {
    return new Detection(label, confidence, x1, y1, x2, y2);
  }

  @Test
  void everyFoodClassHasAnEntryOrIsListedWithoutOneAndTheEntriesAddUp() throws Exception {
    JsonObject table;
    try (InputStream in = Nutrition.class.getResourceAsStream("/nutrition/fdc.json")) {
      table = new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    JsonArray without = table.getJsonArray("without_entry");
    for (String food : Nutrition.FOOD) {
      boolean listed = without.contains(food);
      assertThat(nutrition.entry(food).isPresent()).as(food + ": an entry, or listed without one, not both")
          .isNotEqualTo(listed);
      nutrition.entry(food).ifPresent(e -> {
        assertThat(e.getInteger("fdc_id")).as(food + " fdc_id").isPositive();
        assertThat(e.getString("description")).as(food).isNotBlank();
        // Atwater's general factors (4 / 4 / 9 kcal per g) land within a quarter of the stated energy
        // (fibre and the specific factors USDA uses make up the rest): catches swapped or mistyped columns.
        double atwater = 4 * e.getDouble("protein_g") + 4 * e.getDouble("carbs_g") + 9 * e.getDouble("fat_g");
        assertThat(atwater).as(food + " energy from its macronutrients").isCloseTo(e.getDouble("kcal"),
            within(e.getDouble("kcal") * 0.25));
        assertThat(e.getDouble("plate_share")).as(food).isBetween(0.01, 1.0);
        assertThat(e.getDouble("portion_g")).as(food).isPositive();
      });
    }
    assertThat(table.getJsonObject("foods").fieldNames()).allMatch(Nutrition.FOOD::contains);
  }

  @Test
  void aBananaCoveringItsUsualShareOfTheBowlIsOneUsualPortion() {
    JsonObject meal = nutrition.estimate(List.of(box("bowl", 0.9f, 0, 0, 100, 100), box("banana", 0.9f, 0, 0, 40, 50),
        box("person", 0.99f, 0, 0, 10, 10)), 640, 480);
    assertThat(meal.getString("reference")).isEqualTo("bowl");
    JsonArray items = meal.getJsonArray("items");
    assertThat(items).hasSize(1); // the bowl and the person are not food
    JsonObject banana = items.getJsonObject(0);
    assertThat(banana.getDouble("portion_g")).isEqualTo(118.0);
    assertThat(banana.getJsonObject("nutrients").getDouble("kcal")).isCloseTo(89 * 1.18, within(0.1));
    assertThat(banana.getDouble("portion_confidence")).isCloseTo(0.9 * 0.8, within(1e-3));
    assertThat(banana.getJsonObject("fdc").getInteger("fdc_id")).isEqualTo(173944);
    assertThat(meal.getJsonObject("totals").getDouble("kcal")).isCloseTo(105.0, within(0.1));
    assertThat(meal.getDouble("confidence")).isCloseTo(0.72, within(1e-3));
  }

  @Test
  void withNothingToCompareWithTheWholeImageIsTheReferenceAtTwiceTheShare() {
    // 0.4 of the image / (0.2 x 2) = one portion; less sure without a plate.
    JsonObject meal = nutrition.estimate(List.of(box("banana", 1.0f, 0, 0, 40, 100)), 100, 100);
    assertThat(meal.getString("reference")).isEqualTo("image");
    JsonObject banana = meal.getJsonArray("items").getJsonObject(0);
    assertThat(banana.getDouble("portion_g")).isEqualTo(118.0);
    assertThat(banana.getDouble("portion_confidence")).isCloseTo(0.5, within(1e-3));
  }

  @Test
  void portionsAreClampedBetweenHalfAndTwoAndAHalfOfTheUsualOne() {
    JsonObject tiny = nutrition.estimate(List.of(box("dining table", 0.9f, 0, 0, 1000, 1000),
        box("banana", 0.9f, 0, 0, 10, 10)), 1000, 1000);
    assertThat(tiny.getJsonArray("items").getJsonObject(0).getDouble("portion_g")).isEqualTo(59.0);
    JsonObject huge = nutrition.estimate(List.of(box("bowl", 0.9f, 0, 0, 100, 100), box("banana", 0.9f, 0, 0, 100, 100)),
        1000, 1000);
    assertThat(huge.getJsonArray("items").getJsonObject(0).getDouble("portion_g")).isEqualTo(295.0);
  }

  @Test
  void aFoodWithoutAnEntryIsListedWithoutNutrientsAndLeftOutOfTheTotals() {
    JsonObject meal = nutrition.estimate(List.of(box("bowl", 0.9f, 0, 0, 100, 100), box("banana", 0.9f, 0, 0, 40, 50),
        box("donut", 0.8f, 50, 50, 90, 90)), 640, 480);
    JsonArray items = meal.getJsonArray("items");
    assertThat(items).hasSize(2);
    JsonObject donut = items.getJsonObject(1);
    assertThat(donut.getString("label")).isEqualTo("donut");
    assertThat(donut.getValue("nutrients")).isNull();
    assertThat(donut.getString("note")).contains("no verified FDC entry");
    assertThat(meal.getJsonObject("totals").getDouble("kcal")).isCloseTo(105.0, within(0.1));
    assertThat(meal.getDouble("confidence")).as("the donut has no grams to weigh in").isCloseTo(0.72, within(1e-3));
  }
}
