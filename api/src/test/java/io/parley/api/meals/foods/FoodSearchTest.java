package io.parley.api.meals.foods;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The food search's ranking, as a table of what a person types and the food they mean. */
class FoodSearchTest {

  private static final FoodSearch SEARCH = new FoodSearch(FoodTable.load());

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', textBlock = """
      egg               | 01123 | the common pick before fried and boiled
      eggs              | 01123 | plural to singular
      Bananas           | 09040 | case and plural
      ban               | 09040 | a word being typed matches its beginning
      apple             | 09003 | raw with skin, before without skin or cooked
      bread             | 18069 | white bread, the first pick of its name
      whole wheat toast | 18076 | toast means toasted bread
      wholemeal toast   | 18076 | a synonym for whole wheat
      fries             | 21138 | synonym: french fried potatoes
      banana chips      | 19400 | a plural inside a phrase, not a synonym's trigger
      french fries      | 21138 | the same, said in full
      hot dog           | 07022 | synonym: frankfurter
      donut             | 18250 | synonym: doughnut
      orange juice      | 09206 | the words together, before juice blends
      peanut butter     | 16098 | before reduced-sodium and branded ones
      almonds           | 12061 | 'Nuts, almonds': the shelf word does not hide the food
      fried rice        | 36602 | 'Restaurant, Chinese, fried rice': two shelf words
      chicken breast    | 05064 | cooked meat, before raw
      salmon            | 15237 | cooked fish, before canned and raw
      jalapeño          | 11979 | accents do not matter; raw before canned
      cheese            | 01009 | cheddar, not a branded spread
      """)
  void aPersonsWordFindsTheFoodTheyMean(String query, String ndb, String why) {
    List<FoodSearch.Match> found = SEARCH.search(query, 5);
    assertThat(found).as(why).isNotEmpty();
    assertThat(found.get(0).food().ndb()).as(query + ": " + why + " (got " + found.get(0).food().description() + ")")
        .isEqualTo(ndb);
  }

  @Test
  void everyWordMustMatchAndNothingMatchingIsEmpty() {
    assertThat(SEARCH.search("xyzzy", 10)).isEmpty();
    assertThat(SEARCH.search("banana xyzzy", 10)).isEmpty();
    assertThat(SEARCH.search("   ", 10)).isEmpty();
    assertThat(SEARCH.search("!!!", 10)).isEmpty();
    for (FoodSearch.Match m : SEARCH.search("banana", 50)) {
      assertThat(Words.stems(m.food().description()).stream().anyMatch(w -> w.startsWith("banana")))
          .as(m.food().description()).isTrue();
    }
  }

  @Test
  void brandedAndBabyFoodsComeAfterPlainOnes() {
    List<FoodSearch.Match> cheeses = SEARCH.search("cheese", 10);
    assertThat(cheeses).hasSize(10).noneMatch(m -> FoodSearch.branded(m.food().description()));
    assertThat(SEARCH.search("cheese", 5000)).anyMatch(m -> FoodSearch.branded(m.food().description()));
    assertThat(SEARCH.search("apple juice", 5)).noneMatch(m -> m.food().group().equals("Baby Foods"));
    // Asked for, a brand is found.
    assertThat(SEARCH.search("kraft", 3).get(0).food().description()).contains("KRAFT");
  }

  @Test
  void limitsAndConfidence() {
    assertThat(SEARCH.search("cheese", 3)).hasSize(3);
    assertThat(SEARCH.search("cheese", 0)).isEmpty();
    List<FoodSearch.Match> banana = SEARCH.search("banana", 3);
    assertThat(banana.get(0).confidence()).isGreaterThan(banana.get(1).confidence());
    assertThat(banana).allMatch(m -> m.confidence() > 0 && m.confidence() < 1);
  }

  @Test
  void queryWordsAreSingularAndSynonymsExpand() {
    assertThat(FoodSearch.queryStems("Two berries and potatoes")).containsExactly("two", "berry", "potato");
    assertThat(FoodSearch.queryStems("French Fries")).containsExactly("french", "fried", "potato");
    assertThat(Words.singular("glass")).isEqualTo("glass");
    assertThat(Words.singular("peaches")).isEqualTo("peach");
    assertThat(Words.of("Crème-brûlée, 2%")).containsExactly("creme", "brulee", "2");
  }
}
