package io.parley.api.meals.foods;

import io.parley.api.meals.foods.Food.Portion;
import io.parley.api.meals.foods.FoodSearch.Match;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A meal as people say it, read into food items: "two eggs and a slice of whole wheat toast",
 * "1/2 cup rice, 100 g chicken breast", "a medium banana".
 *
 * <p>The text is cut into parts at commas, semicolons, new lines, "and", "plus", "with" and "&amp;"
 * (what comes after "with" without an amount, like the milk in "coffee with milk", is asked about,
 * not taken as a whole portion).
 * Each part is read as [quantity] [unit or portion] [of] food: quantities as digits, decimals,
 * fractions (1/2, 1 1/2, ½) or words (a, one to twelve, a dozen, half, a couple of, "two and a
 * half"); units of mass (g, kg, oz, lb; ml and l as grams of water-like food) or a household portion
 * the food's USDA entry lists (cup, tbsp, tsp, slice, piece, medium, large, small, serving, ...).
 * The food is the best match of {@link FoodSearch}; the next ones are kept as alternatives. With a
 * count but no unit ("two eggs") the food's own unit portion is used (medium, large, its name,
 * slice, piece, serving). What cannot be read is returned as unresolved with the reason, never
 * guessed: a food the table does not have, a portion the food has no weight for.
 */
public final class FoodText {

  /** One part read as a food and an amount. */
  public record Item(String text, Match food, List<Match> alternatives, double quantity, Optional<Portion> portion,
                     double grams, double confidence) {}

  /** A part that could not be read, and why. */
  public record Unresolved(String text, String reason) {}

  /** The reading of a whole text. */
  public record Reading(List<Item> items, List<Unresolved> unresolved) {}

  /** The longest text read (characters). */
  public static final int MAX_TEXT = 2000;
  static final int MAX_PARTS = 30;
  static final int ALTERNATIVES = 3;

  private static final Pattern SPLIT = Pattern.compile("\\s*(?:[,;\\n]|&|\\band\\b|\\bplus\\b)\\s*");
  private static final Pattern WITH = Pattern.compile("\\s+with\\s+");
  private static final Pattern NUMBER = Pattern.compile("^(\\d+)/(\\d+)|^(\\d+(?:\\.\\d+)?)(?:\\s+(\\d+)/(\\d+))?");
  private static final List<String> COUNTS = List.of("one", "two", "three", "four", "five", "six", "seven",
      "eight", "nine", "ten", "eleven", "twelve");
  private static final Map<Character, Double> VULGAR = Map.of('½', 0.5, '¼', 0.25, '¾', 0.75, '⅓', 1 / 3.0,
      '⅔', 2 / 3.0, '⅛', 0.125);
  /** Units of mass and volume, in grams (volume as water). */
  private static final Map<String, Double> MASS = Map.ofEntries(
      Map.entry("g", 1.0), Map.entry("gram", 1.0), Map.entry("gr", 1.0), Map.entry("kg", 1000.0),
      Map.entry("kilogram", 1000.0), Map.entry("oz", 28.349523125), Map.entry("ounce", 28.349523125),
      Map.entry("lb", 453.59237), Map.entry("pound", 453.59237), Map.entry("ml", 1.0), Map.entry("milliliter", 1.0),
      Map.entry("l", 1000.0), Map.entry("liter", 1000.0), Map.entry("litre", 1000.0));
  /** Household portion words and what USDA calls them. */
  private static final Map<String, String> PORTIONS = Map.ofEntries(
      Map.entry("cup", "cup"), Map.entry("tablespoon", "tbsp"), Map.entry("tbsp", "tbsp"), Map.entry("tbs", "tbsp"),
      Map.entry("teaspoon", "tsp"), Map.entry("tsp", "tsp"), Map.entry("slice", "slice"), Map.entry("piece", "piece"),
      Map.entry("medium", "medium"), Map.entry("large", "large"), Map.entry("small", "small"),
      Map.entry("serving", "serving"), Map.entry("stick", "stick"), Map.entry("pat", "pat"), Map.entry("can", "can"),
      Map.entry("bottle", "bottle"), Map.entry("fillet", "fillet"), Map.entry("breast", "breast"),
      Map.entry("leg", "leg"), Map.entry("wing", "wing"), Map.entry("link", "link"), Map.entry("patty", "patty"),
      Map.entry("bar", "bar"), Map.entry("packet", "packet"), Map.entry("container", "container"),
      Map.entry("wedge", "wedge"), Map.entry("scoop", "scoop"), Map.entry("glass", "cup"), Map.entry("mug", "cup"),
      Map.entry("bowl", "bowl"), Map.entry("jumbo", "jumbo"), Map.entry("handful", "handful"));
  /** The portion a bare count means, in order of preference. */
  private static final List<String> UNIT_PORTIONS = List.of("medium", "fruit", "large", "slice", "piece", "item",
      "serving", "cup");

  private final FoodSearch search;

  public FoodText(FoodSearch search) {
    this.search = search;
  }

  /** Reads {@code text}; never throws on odd input (parts it cannot read come back unresolved). */
  public Reading read(String text) {
    List<Item> items = new ArrayList<>();
    List<Unresolved> unresolved = new ArrayList<>();
    String t = normalise(text);
    for (String part : SPLIT.split(t)) {
      if (part.isBlank()) {
        continue;
      }
      if (items.size() + unresolved.size() >= MAX_PARTS) {
        unresolved.add(new Unresolved(part, "at most " + MAX_PARTS + " foods in one text"));
        continue;
      }
      String[] withs = WITH.split(part.strip());
      for (int i = 0; i < withs.length; i++) {
        if (!withs[i].isBlank()) {
          readPart(withs[i].strip(), i > 0, items, unresolved);
        }
      }
    }
    return new Reading(List.copyOf(items), List.copyOf(unresolved));
  }

  /** Lower case, number words to digits, "2 and a half" to 2.5, vulgar fractions to decimals. */
  static String normalise(String text) {
    StringBuilder b = new StringBuilder();
    for (char c : text.toLowerCase(Locale.ROOT).toCharArray()) {
      Double v = VULGAR.get(c);
      if (v != null) {
        b.append(' ').append(v).append(' ');
      } else {
        b.append(c);
      }
    }
    String s = b.toString().replaceAll("(\\d+)\\s+0\\.(\\d+)", "$1.$2 ").replaceAll("\\s+", " ").strip();
    for (int i = 0; i < COUNTS.size(); i++) {
      s = s.replaceAll("\\b" + COUNTS.get(i) + "\\b", String.valueOf(i + 1));
    }
    s = s.replaceAll("(\\d+) and (?:a )?half\\b", "$1.5").replaceAll("\\b(?:a |1 )?half (?:a |an |of )?", "0.5 ")
        .replaceAll("\\b(?:a |1 )?quarter (?:of )?(?:a |an )?", "0.25 ").replaceAll("\\ba couple (?:of )?", "2 ")
        .replaceAll("\\ba few ", "3 ").replaceAll("\\ba dozen ", "12 ").replaceAll("\\b(\\d+(?:\\.\\d+)?) dozen\\b",
            "$1 x12");
    return s;
  }

  /** One part; {@code accompaniment}: it came after "with", so a bare name says nothing of the amount. */
  private void readPart(String part, boolean accompaniment, List<Item> items, List<Unresolved> unresolved) {
    String rest = part;
    double quantity = 1;
    boolean counted = false;
    Matcher m = NUMBER.matcher(rest);
    if (m.find()) {
      if (m.group(1) != null) {
        quantity = Double.parseDouble(m.group(1)) / Double.parseDouble(m.group(2));
      } else {
        quantity = Double.parseDouble(m.group(3));
        if (m.group(4) != null) {
          quantity += Double.parseDouble(m.group(4)) / Double.parseDouble(m.group(5));
        }
      }
      rest = rest.substring(m.end()).strip();
      counted = true;
    } else {
      String first = rest.split(" ", 2)[0];
      if (first.equals("a") || first.equals("an") || first.equals("one")) {
        rest = rest.substring(first.length()).strip();
        counted = true;
      }
    }
    if (rest.startsWith("x12")) {
      quantity *= 12;
      rest = rest.substring(3).strip();
    }
    if (!Double.isFinite(quantity) || quantity <= 0 || quantity > 10_000) {
      unresolved.add(new Unresolved(part, "the amount must be a positive number"));
      return;
    }
    // The unit ("100 g", "a slice of", "a medium"), glued ("100g") or as the next word.
    Double gramsPerUnit = null;
    String portionWord = null;
    String[] words = rest.split(" ", 2);
    String unit = words[0];
    Matcher glued = Pattern.compile("^(\\d*)(g|kg|oz|lb|ml|l)$").matcher(unit);
    String unitStem = Words.singular(unit.replaceAll("[.]$", ""));
    if (MASS.containsKey(unitStem) || (glued.matches() && glued.group(1).isEmpty() && MASS.containsKey(glued.group(2)))) {
      gramsPerUnit = MASS.get(MASS.containsKey(unitStem) ? unitStem : glued.group(2));
      rest = words.length > 1 ? words[1] : "";
    } else if (PORTIONS.containsKey(unitStem) && words.length > 1) {
      portionWord = PORTIONS.get(unitStem);
      rest = words[1];
    }
    rest = rest.replaceFirst("^of ", "").strip();
    if (rest.isEmpty()) {
      unresolved.add(new Unresolved(part, "no food named"));
      return;
    }
    List<Match> found = search.search(rest, 1 + ALTERNATIVES);
    if (found.isEmpty()) {
      unresolved.add(new Unresolved(part, "no food in the table matches \"" + rest + "\""));
      return;
    }
    Match best = found.get(0);
    Food food = best.food();
    List<Match> alternatives = found.subList(1, found.size());
    double confidence = best.confidence();
    Optional<Portion> portion = Optional.empty();
    double grams;
    if (gramsPerUnit != null) {
      grams = quantity * gramsPerUnit;
    } else if (portionWord != null) {
      portion = food.portion(portionWord);
      if (portion.isEmpty()) {
        unresolved.add(new Unresolved(part, "\"" + food.description() + "\" has no \"" + portionWord
            + "\" portion; give the amount in grams or as one of: " + portionNames(food)));
        return;
      }
      grams = quantity * portion.get().gramsPerUnit();
    } else {
      portion = accompaniment && !counted ? Optional.empty() : unitPortion(food);
      if (portion.isEmpty()) {
        unresolved.add(new Unresolved(part, "say how much \"" + food.description() + "\": in grams"
            + (food.portions().isEmpty() ? "" : " or as one of: " + portionNames(food))));
        return;
      }
      grams = quantity * portion.get().gramsPerUnit();
      confidence *= counted ? 0.9 : 0.8;
    }
    items.add(new Item(part, best, List.copyOf(alternatives), quantity, portion, grams, confidence));
  }

  /** The portion a bare count of this food means ("2 eggs": the medium egg). */
  public static Optional<Portion> unitPortion(Food food) {
    String d = food.description();
    int comma = d.indexOf(',');
    List<String> head = Words.stems(comma < 0 ? d : d.substring(0, comma));
    for (String word : UNIT_PORTIONS) {
      for (Portion p : food.portions()) {
        List<String> name = Words.stems(p.name());
        if (!name.isEmpty() && name.get(0).equals(word)) {
          return Optional.of(p);
        }
      }
      if (word.equals("medium")) {
        // After the sizes, a portion named for the food itself: "1 doughnut, medium", "1 sandwich", "1 frankfurter".
        for (Portion p : food.portions()) {
          List<String> name = Words.stems(p.name());
          if (!name.isEmpty() && (head.contains(name.get(0)) || d.toLowerCase(Locale.ROOT).contains(name.get(0)))) {
            return Optional.of(p);
          }
        }
      }
    }
    return Optional.empty();
  }

  private static String portionNames(Food food) {
    return String.join(", ", food.portions().stream().limit(6).map(Portion::label).toList());
  }
}
