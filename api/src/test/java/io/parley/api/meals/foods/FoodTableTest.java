package io.parley.api.meals.foods;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The derived USDA table: what it was derived from, that it is the file its checksum names, and
 * values spot-checked against the USDA figures published for SR24 / SR Legacy.
 */
class FoodTableTest {

  private static final FoodTable TABLE = FoodTable.load();

  @Test
  void theTableIsWholeAndIsTheFileItsChecksumNames() throws Exception {
    assertThat(TABLE.size()).as("every food of SR24's index").isEqualTo(7907);
    assertThat(TABLE.provenance()).contains("Standard Reference, Release 24")
        .contains("4944801587983e4fc3f277bdf165e0a171acadda1fe2a38c3b37e6e8e97f20b7");
    byte[] table;
    String recorded;
    try (InputStream t = FoodTable.class.getResourceAsStream(FoodTable.TABLE);
         InputStream s = FoodTable.class.getResourceAsStream(FoodTable.TABLE + ".sha256")) {
      table = t.readAllBytes();
      recorded = new String(s.readAllBytes(), StandardCharsets.US_ASCII).split("\\s+")[0];
    }
    String actual = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(table));
    assertThat(actual).as("edit the table only through api/tools/nutrition/derive").isEqualTo(recorded);
  }

  @Test
  void spotChecksAgainstPublishedUsdaValues() {
    // Bananas, raw: SR Legacy fdc 173944 has the same figures.
    Food banana = TABLE.get("09040").orElseThrow();
    assertThat(banana.description()).isEqualTo("Bananas, raw");
    assertThat(banana.group()).isEqualTo("Fruits and Fruit Juices");
    assertThat(banana.per100g()).isEqualTo(new Nutrients(89, 1.09, 22.84, 0.33, 2.6, 12.23, 1));
    assertThat(banana.portion("medium").orElseThrow().grams()).isEqualTo(118.0);
    // Doughnuts, cake-type, plain, sugared or glazed: 426 kcal, medium doughnut 45 g; SR24 gives no sugars.
    Food doughnut = TABLE.get("18250").orElseThrow();
    assertThat(doughnut.per100g().kcal()).isEqualTo(426.0);
    assertThat(doughnut.per100g().fatG()).isEqualTo(22.9);
    assertThat(doughnut.per100g().sugarsG()).as("unknown, not zero").isNaN();
    assertThat(doughnut.portion("doughnut").orElseThrow().grams()).isEqualTo(45.0);
    Food cake = TABLE.get("18140").orElseThrow();
    assertThat(cake.per100g().carbsG()).isEqualTo(55.36);
    // Egg, whole, raw, fresh: a large egg is 50 g, 143 kcal / 100 g.
    Food egg = TABLE.get("01123").orElseThrow();
    assertThat(egg.portion("large").orElseThrow().grams()).isEqualTo(50.0);
    assertThat(egg.per100g().kcal()).isEqualTo(143.0);
    assertThat(egg.per100g().sodiumMg()).isEqualTo(142.0);
  }

  @Test
  void everyFoodsEnergyAgreesWithItsMacronutrients() {
    // Atwater's general factors (4 / 4 / 9 kcal per g, 7 for alcohol left out) land near the stated
    // energy for ordinary foods: a swapped or shifted column would break this for thousands of rows.
    int checked = 0;
    int off = 0;
    for (Food f : TABLE.foods()) {
      Nutrients n = f.per100g();
      if (Double.isNaN(n.kcal()) || Double.isNaN(n.proteinG()) || Double.isNaN(n.carbsG()) || Double.isNaN(n.fatG())
          || n.kcal() < 50) {
        continue;
      }
      checked++;
      double atwater = 4 * n.proteinG() + 4 * n.carbsG() + 9 * n.fatG();
      if (Math.abs(atwater - n.kcal()) > 0.25 * n.kcal()) {
        off++;
      }
    }
    assertThat(checked).isGreaterThan(6000);
    assertThat((double) off / checked).as("foods whose energy is far from 4/4/9 (alcohol, fibre-rich)")
        .isLessThan(0.05);
  }

  @Test
  void theCommonPicksAreInTheTableWithTheDescriptionsTheyName() throws Exception {
    String text;
    try (InputStream in = FoodTable.class.getResourceAsStream(FoodTable.COMMON)) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    int n = 0;
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\t");
      assertThat(TABLE.get(f[0]).orElseThrow().description()).as("common pick " + f[0]).isEqualTo(f[1]);
      n++;
    }
    assertThat(TABLE.commonInOrder()).hasSize(n);
  }

  @Test
  void portionsScaleToOneUnit() {
    Food.Portion threeOunces = new Food.Portion(3, "oz", 85);
    assertThat(threeOunces.gramsPerUnit()).isCloseTo(28.33, within(0.01));
    assertThat(threeOunces.label()).isEqualTo("3 oz");
    assertThat(new Nutrients(100, 10, 20, 5, Double.NaN, 1, 50).forGrams(50).json().getValue("fiber_g"))
        .as("unknown stays unknown").isNull();
  }
}
