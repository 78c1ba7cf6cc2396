package io.parley.api.meals.foods;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One food of the table: its USDA NDB number, food group, description, nutrients per 100 g and
 * household portions.
 */
public record Food(String ndb, String group, String description, Nutrients per100g, List<Portion> portions) {

  public Food {
    portions = List.copyOf(portions);
  }

  /** A household portion: {@code amount} of {@code name} (e.g. 1 "medium (7" to 7-7/8" long)") weighs {@code grams}. */
  public record Portion(double amount, String name, double grams) {

    /** Grams of one unit of this portion (a "3 oz" portion of 85 g gives 28.3 g). */
    public double gramsPerUnit() {
      return grams / amount;
    }

    /** The portion as people read it: "1 medium (7" to 7-7/8" long)". */
    public String label() {
      return Nutrients.plain(amount) + " " + name;
    }

    public JsonObject json() {
      return new JsonObject().put("amount", amount).put("name", name).put("grams", grams);
    }
  }

  /**
   * The portion a word names: the first whose name starts with it ("large" is "large", not "cup (4.86
   * large eggs)"), else the first that has it as a word ("slice" in "1 slice, large").
   */
  public Optional<Portion> portion(String word) {
    String w = Words.singular(word.toLowerCase(Locale.ROOT));
    for (boolean first : new boolean[] {true, false}) {
      for (Portion p : portions) {
        List<String> words = Words.stems(p.name());
        if (first ? !words.isEmpty() && words.get(0).equals(w) : words.contains(w)) {
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }

  /** Where the values come from, as a citation. */
  public String source() {
    return "USDA SR24, NDB " + ndb;
  }

  /** The food as the API shows it: values per 100 g and the portions. */
  public JsonObject json() {
    JsonArray p = new JsonArray();
    portions.forEach(x -> p.add(x.json()));
    return summary().put("group", group).put("per_100g", per100g.json(3)).put("portions", p);
  }

  /** The food as an item cites it. */
  public JsonObject summary() {
    return new JsonObject().put("ndb", ndb).put("description", description).put("source", source());
  }
}
