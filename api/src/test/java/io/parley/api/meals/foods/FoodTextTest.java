package io.parley.api.meals.foods;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Meals as people say them, read into foods and grams against the USDA table's own portions. */
class FoodTextTest {

  private static final FoodText TEXT = new FoodText(new FoodSearch(FoodTable.load()));

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      two eggs                        | 01123 | 88    | a count uses the food's medium portion (44 g)
      a slice of whole wheat toast    | 18076 | 25    | a household portion the food lists
      1/2 cup rice                    | 20045 | 79    | a fraction of a cup (158 g)
      1 1/2 cups of milk              | 01077 | 366   | a mixed number (244 g a cup)
      two and a half slices of bread  | 18069 | 70    | words for numbers, 'and a half'
      ½ avocado                       | 09037 | 100.5 | a vulgar fraction
      100 g chicken breast            | 05064 | 100   | grams
      200g salmon                     | 15237 | 200   | grams glued to the number
      3 oz steak                      | 13451 | 85.05 | ounces
      a medium banana                 | 09040 | 118   | a size as the portion
      a donut                         | 18250 | 45    | a portion named for the food itself
      a glass of orange juice         | 09206 | 248   | a glass is a cup
      2 tbsp peanut butter            | 16098 | 32    | tablespoons
      a dozen almonds                 | 12061 | 14.4  | a dozen
      half a banana                   | 09040 | 59    | half a
      """)
  void onePartReadsAsAFoodAndGrams(String text, String ndb, double grams, String why) {
    FoodText.Reading r = TEXT.read(text);
    assertThat(r.unresolved()).as(why).isEmpty();
    assertThat(r.items()).hasSize(1);
    FoodText.Item item = r.items().get(0);
    assertThat(item.food().food().ndb()).as(why + " (got " + item.food().food().description() + ")").isEqualTo(ndb);
    assertThat(item.grams()).as(why).isCloseTo(grams, within(0.1));
    assertThat(item.confidence()).isBetween(0.3, 0.99);
  }

  @Test
  void aWholeMealSplitsIntoItemsWithAlternatives() {
    FoodText.Reading r = TEXT.read("Two eggs and a slice of whole wheat toast, 1 cup of coffee; an apple plus a banana");
    assertThat(r.unresolved()).isEmpty();
    assertThat(r.items().stream().map(i -> i.food().food().ndb()).toList())
        .containsExactly("01123", "18076", "14209", "09003", "09040");
    assertThat(r.items().get(0).alternatives()).as("what else 'eggs' could be").isNotEmpty()
        .extracting(a -> a.food().ndb()).doesNotContain("01123");
    assertThat(r.items().get(0).quantity()).isEqualTo(2.0);
    assertThat(r.items().get(0).portion().orElseThrow().name()).isEqualTo("medium");
  }

  @Test
  void whatCannotBeReadIsReturnedWithItsReasonNotGuessed() {
    FoodText.Reading r = TEXT.read("a bowl of rice, some xyzzy, coffee with milk, 100 g");
    assertThat(r.items().stream().map(i -> i.food().food().ndb()).toList()).containsExactly("14209");
    List<String> texts = r.unresolved().stream().map(FoodText.Unresolved::text).toList();
    assertThat(texts).containsExactly("a bowl of rice", "some xyzzy", "milk", "100 g");
    assertThat(r.unresolved().get(0).reason()).contains("no \"bowl\" portion").contains("1 cup");
    assertThat(r.unresolved().get(1).reason()).contains("no food in the table matches");
    assertThat(r.unresolved().get(2).reason()).as("after 'with', a bare name says nothing of the amount")
        .contains("say how much");
    assertThat(r.unresolved().get(3).reason()).contains("no food named");
  }

  @Test
  void oddInputNeverThrows() {
    for (String odd : List.of("", "   ", ",,,;;", "0 eggs", "-2 eggs", "99999999 eggs", "1/0 cup rice", "a a a a",
        "🍌🍌", "and and and", "1e9 g rice", "x".repeat(FoodText.MAX_TEXT))) {
      FoodText.Reading r = TEXT.read(odd);
      assertThat(r.items()).allMatch(i -> i.grams() > 0 && Double.isFinite(i.grams()) && i.grams() <= 10_000 * 5000);
    }
    assertThat(TEXT.read("0 eggs").unresolved()).singleElement()
        .satisfies(u -> assertThat(u.reason()).contains("positive"));
    assertThat(TEXT.read(String.join(", ", java.util.Collections.nCopies(40, "an apple"))).unresolved())
        .hasSize(40 - FoodText.MAX_PARTS);
  }
}
