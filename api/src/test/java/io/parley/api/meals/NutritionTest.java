package io.parley.api.meals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.parley.api.meals.foods.FoodLabels;
import io.parley.api.meals.foods.FoodSearch;
import io.parley.api.meals.foods.FoodTable;
import io.parley.inference.vision.Detection;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The meal estimate's arithmetic on boxes placed by hand, with the shipped label mapping: a banana is
 * NDB 09040, its medium portion 118 g covering 0.2 of a plate, 89 kcal / 100 g.
 */
class NutritionTest {

  private static final FoodTable TABLE = FoodTable.load();
  private static final FoodSearch SEARCH = new FoodSearch(TABLE);
  private final Nutrition nutrition = new Nutrition(FoodLabels.shipped(TABLE), SEARCH, false);

  private static Detection box(String label, float confidence, float x1, float y1, float x2, float y2) {
    return new Detection(label, confidence, x1, y1, x2, y2);
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
    assertThat(banana.getDouble("confidence")).isCloseTo(0.9 * 0.8, within(1e-3));
    assertThat(banana.getJsonObject("food").getString("ndb")).isEqualTo("09040");
    assertThat(banana.getJsonObject("food").getInteger("fdc_id")).as("the FDC id it was cited with").isEqualTo(173944);
    assertThat(banana.getJsonObject("portion").getString("name")).startsWith("medium");
    assertThat(banana.getJsonArray("alternatives").stream().map(a -> ((JsonObject) a).getString("ndb")))
        .as("other foods to confirm it as").isNotEmpty().doesNotContain("09040");
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
    assertThat(banana.getDouble("confidence")).isCloseTo(0.5, within(1e-3));
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
  void theThreeClassesThatHadNoEntryNowCountInTheTotals() {
    JsonObject meal = nutrition.estimate(List.of(box("dining table", 0.9f, 0, 0, 100, 100),
        box("sandwich", 0.9f, 0, 0, 30, 100 * 0.3f / 0.3f), box("donut", 0.8f, 50, 50, 60, 60),
        box("cake", 0.7f, 60, 60, 85, 70)), 640, 480);
    JsonArray items = meal.getJsonArray("items");
    assertThat(items.stream().map(i -> ((JsonObject) i).getJsonObject("food").getString("ndb")).toList())
        .containsExactly("21116", "18250", "18140");
    double sum = 0;
    for (Object o : items) {
      JsonObject n = ((JsonObject) o).getJsonObject("nutrients");
      assertThat(n.getDouble("kcal")).isPositive();
      sum += n.getDouble("kcal");
    }
    assertThat(meal.getJsonObject("totals").getDouble("kcal")).isCloseTo(sum, within(0.2));
    // The sandwich covers 0.3 of the table, its usual share: one 146 g sandwich at 241 kcal / 100 g.
    assertThat(items.getJsonObject(0).getDouble("portion_g")).isEqualTo(146.0);
    assertThat(items.getJsonObject(0).getJsonObject("nutrients").getDouble("kcal")).isCloseTo(351.9, within(0.1));
  }

  @Test
  void labelsOutsideTheMappingAreNotFoodUnlessLabelSearchIsOn() {
    List<Detection> seen = List.of(box("fried rice", 0.9f, 0, 0, 50, 50), box("person", 0.9f, 0, 0, 10, 10));
    assertThat(nutrition.estimate(seen, 100, 100).getJsonArray("items")).isEmpty();

    Nutrition searching = new Nutrition(FoodLabels.shipped(TABLE), SEARCH, true);
    JsonArray items = searching.estimate(seen, 100, 100).getJsonArray("items");
    assertThat(items).as("the person is still not food").hasSize(1);
    JsonObject rice = items.getJsonObject(0);
    assertThat(rice.getString("label")).isEqualTo("fried rice");
    assertThat(rice.getJsonObject("food").getString("description")).containsIgnoringCase("rice").containsIgnoringCase("fried");
    assertThat(rice.getDouble("confidence")).as("a searched label is less sure than a mapped one")
        .isLessThan(0.9 * 0.5);
  }
}
