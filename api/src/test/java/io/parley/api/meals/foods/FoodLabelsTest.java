package io.parley.api.meals.foods;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.ParleyException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The label -> food mapping: the shipped COCO one, and an operator's file with its errors. */
class FoodLabelsTest {

  private static final FoodTable TABLE = FoodTable.load();

  @Test
  void everyCocoFoodClassIsAFoodWithAPortionAndTheSevenCitedOnesKeepTheirFdcIds() {
    FoodLabels labels = FoodLabels.shipped(TABLE);
    assertThat(labels.labels()).containsExactlyInAnyOrder("banana", "apple", "sandwich", "orange", "broccoli",
        "carrot", "hot dog", "pizza", "donut", "cake");
    for (String label : labels.labels()) {
      FoodLabels.Entry e = labels.get(label).orElseThrow();
      assertThat(e.portion().grams()).as(label).isPositive();
      assertThat(e.food().per100g().kcal()).as(label + " has energy").isPositive();
    }
    assertThat(labels.get("banana").orElseThrow().fdcId()).hasValue(173944);
    assertThat(labels.get("hot dog").orElseThrow().fdcId()).hasValue(173862);
    assertThat(List.of("banana", "apple", "orange", "broccoli", "carrot", "pizza", "hot dog"))
        .allMatch(l -> labels.get(l).orElseThrow().fdcId().isPresent());
    assertThat(labels.get("sandwich").orElseThrow().food().ndb()).isEqualTo("21116");
    assertThat(labels.get("donut").orElseThrow().portion().grams()).isEqualTo(45.0);
    assertThat(labels.get("person")).isEmpty();
  }

  @Test
  void aFoodTrainedDetectorsLabelsMapThroughTheSameColumns() {
    FoodLabels custom = FoodLabels.parse(TABLE, "# my detector\nlabel\tndb\tportion\tplate_share\n"
        + "scrambled_egg\t01132\tlarge\t0.15\nwhite_rice\t20045\tcup\t0.3\t\n", "mine.tsv");
    assertThat(custom.labels()).containsExactly("scrambled_egg", "white_rice");
    assertThat(custom.get("white_rice").orElseThrow().portion().grams()).isEqualTo(158.0);
  }

  @Test
  void aBadLineIsAConfigurationErrorNamingTheFileAndLine() {
    assertBad("x\t99999\tmedium\t0.2\n", "mine.tsv line 1", "no food with NDB number 99999");
    assertBad("banana\t09040\tbucket\t0.2\n", "line 1", "has no portion \"bucket\"");
    assertBad("banana\t09040\tmedium\t7\n", "line 1", "between 0.01 and 1");
    assertBad("banana\t09040\tmedium\tlots\n", "line 1", "must be a number");
    assertBad("banana\t09040\n", "line 1", "expected label, ndb, portion, plate_share");
    assertBad("banana\t09040\tmedium\t0.2\nbanana\t09040\tmedium\t0.2\n", "line 2", "listed twice");
    assertBad("banana\t09040\tmedium\t0.2\tabc\n", "line 1", "fdc_id");
  }

  private static void assertBad(String text, String where, String what) {
    assertThatThrownBy(() -> FoodLabels.parse(TABLE, text, "mine.tsv")).isInstanceOf(ParleyException.class)
        .hasMessageStartingWith("PARLEY_VISION_FOOD_LABELS: ").hasMessageContaining(where).hasMessageContaining(what);
  }
}
