package io.parley.api.meals.foods;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Food search over the whole table, ranked the way a person means a plain word.
 *
 * <p>Every query word (made singular, after a small synonym list: "fries" means french fried
 * potatoes) must match a word of the description, exactly or as its beginning (so typing works).
 * Then, highest first: exact over prefix matches; matches in the description's head (before the
 * first comma: "Egg" in "Egg, whole, raw, fresh") and its first word; how much of the description
 * the query covers; the common-food picks ({@code nutrition/common-foods.tsv}); raw fruit and
 * vegetables when no preparation is asked for. Branded entries (a name in capitals), baby foods,
 * regional and restaurant entries and unusual forms (dry mix, dehydrated, powder...) rank lower
 * unless the query asks for them. Ties go to the shorter description, then the lower NDB number (SR
 * numbers the generic form of a food first).
 *
 * <p>An index of word -> foods is built once; a query touches only the foods holding its rarest
 * word. Thread-safe: immutable after construction.
 */
public final class FoodSearch {

  /** A food found, its score (higher is better, for ordering only) and how sure the match is, 0..1. */
  public record Match(Food food, double score, double confidence, double headCoverage) {

    /**
     * Whether the query names this food rather than touching it: the query covers at least half of
     * the food's own name (its head, after any shelf words: "glazed doughnuts" names "Doughnuts, ...";
     * "cup" does not name "Candies, ... Peanut Butter Cups").
     */
    public boolean names() {
      return headCoverage >= 0.5;
    }
  }

  public static final int MAX_LIMIT = 50;

  /** Phrase -> what the table calls it. Longest phrases are tried first. */
  static final Map<String, String> SYNONYMS = synonyms(
      "french fries", "french fried potato",
      "fries", "french fried potato",
      "crisps", "potato chip",
      "hot dog", "frankfurter",
      "hotdog", "frankfurter",
      "donut", "doughnut",
      "toast", "bread toasted",
      "yoghurt", "yogurt",
      "ketchup", "catsup",
      "soda", "carbonated beverage",
      "coke", "cola carbonated",
      "oatmeal", "oat cooked",
      "porridge", "oat cooked",
      "wholemeal", "whole wheat",
      "wholewheat", "whole wheat",
      "courgette", "zucchini",
      "aubergine", "eggplant",
      "prawn", "shrimp",
      "mince", "ground",
      "oj", "orange juice",
      "pop corn", "popcorn");

  private static final Set<String> STOP = Set.of("a", "an", "the", "of", "some", "and");
  private static final Set<String> UNUSUAL = Set.of("dehydrated", "powder", "dry", "mix", "imitation", "infant",
      "dietary", "canned", "frozen", "concentrate", "unprepared", "commodity", "substitute");
  private static final Set<String> PREPARED = Set.of("cooked", "boiled", "baked", "fried", "roasted", "grilled",
      "steamed", "toasted", "canned", "frozen", "dried", "stewed", "broiled", "juice", "microwaved", "scrambled");
  private static final Set<String> LOW_GROUPS = Set.of("Baby Foods", "American Indian/Alaska Native Foods");

  private final FoodTable table;
  private final Entry[] entries;
  private final Map<String, int[]> postings;
  private final String[] vocabulary;

  private record Entry(Food food, String[] stems, int headWords, int firstWord, boolean unusual, boolean rawMeat,
                       double prior) {}

  /** First parts of a description that name a shelf, not the food: "Nuts, almonds", "Fish, salmon, ...". */
  private static final Set<String> CATEGORIES = Set.of("nut", "seed", "fish", "cereal", "beverage", "fast", "food",
      "candy", "candie", "snack", "spice", "mollusk", "crustacean", "game", "meat", "alcoholic", "babyfood",
      "restaurant", "chinese", "italian", "mexican", "latino", "family", "style");

  public FoodSearch(FoodTable table) {
    this.table = table;
    List<Food> foods = table.foods();
    entries = new Entry[foods.size()];
    Set<String> primary = primaryPicks(table);
    Map<String, List<Integer>> index = new HashMap<>();
    for (int i = 0; i < foods.size(); i++) {
      Food f = foods.get(i);
      String d = f.description();
      String[] stems = Words.stems(d).stream().filter(w -> !STOP.contains(w)).toArray(String[]::new);
      int comma = d.indexOf(',');
      List<String> head = headStems(comma < 0 ? d : d.substring(0, comma));
      int first = 0;
      // "Nuts, almonds", "Restaurant, Chinese, fried rice": the categories name the shelf; the food is
      // the next part.
      while (comma > 0 && CATEGORIES.containsAll(head) && first < 3) {
        first = head.size();
        int next = d.indexOf(',', comma + 1);
        head = headStems(next < 0 ? d : d.substring(0, next));
        comma = next;
      }
      entries[i] = new Entry(f, stems, head.size(), first, Arrays.stream(stems).anyMatch(UNUSUAL::contains),
          meat(f) && Arrays.asList(stems).contains("raw"), prior(f, primary));
      for (String s : new java.util.HashSet<>(Arrays.asList(stems))) {
        index.computeIfAbsent(s, k -> new ArrayList<>()).add(i);
      }
    }
    postings = new HashMap<>();
    index.forEach((k, v) -> postings.put(k, v.stream().mapToInt(Integer::intValue).toArray()));
    vocabulary = postings.keySet().toArray(String[]::new);
    Arrays.sort(vocabulary);
  }

  public FoodTable table() {
    return table;
  }

  /** Up to {@code limit} foods for {@code query}, best first; empty when nothing matches every word. */
  public List<Match> search(String query, int limit) {
    return search(query, limit, true);
  }

  /**
   * As {@link #search(String, int)}; with {@code prefixes} false every word must match a whole word
   * (a detector's label "cup" is not "cupcake").
   */
  public List<Match> search(String query, int limit, boolean prefixes) {
    List<String> words = queryStems(query);
    if (words.isEmpty() || limit <= 0) {
      return List.of();
    }
    BitSet candidates = null;
    for (String w : words) {
      BitSet hits = hits(w, prefixes);
      if (candidates == null) {
        candidates = hits;
      } else {
        candidates.and(hits);
      }
      if (candidates.isEmpty()) {
        return List.of();
      }
    }
    // The best `limit + 1` (one more, for the gap to the runner-up) in a bounded heap, worst on top.
    boolean asksPreparation = words.stream().anyMatch(PREPARED::contains);
    boolean asksUnusual = words.stream().anyMatch(UNUSUAL::contains);
    int keep = limit + 1;
    PriorityQueue<Match> heap = new PriorityQueue<>(keep + 1, BEST_FIRST.reversed());
    for (int i = candidates.nextSetBit(0); i >= 0; i = candidates.nextSetBit(i + 1)) {
      heap.add(score(entries[i], words, asksPreparation, asksUnusual));
      if (heap.size() > keep) {
        heap.poll();
      }
    }
    List<Match> out = new ArrayList<>(heap);
    out.sort(BEST_FIRST);
    List<Match> top = out.subList(0, Math.min(limit, out.size()));
    if (!top.isEmpty()) {
      double gap = out.size() > 1 ? out.get(0).score() - out.get(1).score() : 1;
      Match best = top.get(0);
      top.set(0, new Match(best.food(), best.score(), Math.min(0.99, best.confidence() + (gap >= 0.5 ? 0.1 : 0)),
          best.headCoverage()));
    }
    return List.copyOf(top);
  }

  /** The query's words as the index knows them: synonyms applied, singular, stop words out. */
  static List<String> queryStems(String query) {
    List<String> words = new ArrayList<>(Words.of(query));
    List<String> out = new ArrayList<>();
    int i = 0;
    outer:
    while (i < words.size()) {
      for (int len = Math.min(3, words.size() - i); len >= 1; len--) {
        String phrase = String.join(" ", words.subList(i, i + len));
        String syn = SYNONYMS.get(phrase);
        if (syn == null && len == 1) {
          syn = SYNONYMS.get(Words.singular(phrase));
        }
        if (syn != null) {
          for (String s : syn.split(" ")) {
            out.add(s);
          }
          i += len;
          continue outer;
        }
      }
      String w = Words.singular(words.get(i++));
      if (!STOP.contains(w)) {
        out.add(w);
      }
    }
    return out;
  }

  private BitSet hits(String word, boolean prefixes) {
    BitSet b = new BitSet(entries.length);
    int[] exact = postings.get(word);
    if (exact != null) {
      for (int i : exact) {
        b.set(i);
      }
    }
    if (prefixes && word.length() >= 2) {
      int from = Arrays.binarySearch(vocabulary, word);
      for (int k = from < 0 ? -from - 1 : from; k < vocabulary.length && vocabulary[k].startsWith(word); k++) {
        for (int i : postings.get(vocabulary[k])) {
          b.set(i);
        }
      }
    }
    return b;
  }

  /** Higher score first; ties to the shorter description, then the lower NDB number. */
  private static final Comparator<Match> BEST_FIRST = (a, b) -> {
    int c = Double.compare(b.score(), a.score());
    if (c != 0) {
      return c;
    }
    c = Integer.compare(a.food().description().length(), b.food().description().length());
    return c != 0 ? c : a.food().ndb().compareTo(b.food().ndb());
  };

  private Match score(Entry e, List<String> words, boolean asksPreparation, boolean asksUnusual) {
    double score = e.prior();
    int exact = 0;
    boolean[] covered = new boolean[e.stems().length];
    for (String w : words) {
      int best = -1;
      boolean bestExact = false;
      for (int k = 0; k < e.stems().length; k++) {
        boolean ex = e.stems()[k].equals(w);
        if ((ex && !bestExact) || (best < 0 && e.stems()[k].startsWith(w))) {
          best = k;
          bestExact = ex;
        }
      }
      if (best < 0) {
        continue;
      }
      covered[best] = true;
      score += bestExact ? 1.0 : 0.5;
      exact += bestExact ? 1 : 0;
      if (best < e.headWords()) {
        score += 0.5;
      }
      if (best == e.firstWord()) {
        score += 0.5;
      }
    }
    if (words.size() > 1 && phrase(e.stems(), words)) {
      score += 0.5;
    }
    int n = 0;
    for (boolean c : covered) {
      n += c ? 1 : 0;
    }
    double coverage = (double) n / e.stems().length;
    score += coverage;
    if (!asksPreparation && rawProduce(e)) {
      score += 0.3;
    }
    if (!asksPreparation && e.rawMeat()) {
      score -= 0.3;
    }
    if (!asksUnusual && e.unusual()) {
      score -= 0.3;
    }
    double confidence = (exact == words.size() ? 0.6 : 0.4)
        + (table.common(e.food().ndb()) || coverage >= 0.5 ? 0.3 : coverage * 0.3);
    int head = 0;
    for (int k = e.firstWord(); k < e.headWords(); k++) {
      head += covered[k] ? 1 : 0;
    }
    double headCoverage = e.headWords() > e.firstWord() ? (double) head / (e.headWords() - e.firstWord()) : 0;
    return new Match(e.food(), score, Math.min(0.99, confidence), headCoverage);
  }

  /** Whether the query's words stand together, in order, in the description ("fried rice"). */
  private static boolean phrase(String[] stems, List<String> words) {
    outer:
    for (int i = 0; i + words.size() <= stems.length; i++) {
      for (int k = 0; k < words.size(); k++) {
        if (!stems[i + k].equals(words.get(k))) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  private static List<String> headStems(String part) {
    return Words.stems(part).stream().filter(w -> !STOP.contains(w)).toList();
  }

  /** The first common pick of each head word, in the order of the picks file. */
  private static Set<String> primaryPicks(FoodTable table) {
    Map<String, String> firstByHead = new LinkedHashMap<>();
    for (String ndb : table.commonInOrder()) {
      String d = table.get(ndb).orElseThrow().description();
      int comma = d.indexOf(',');
      firstByHead.putIfAbsent(String.join(" ", headStems(comma < 0 ? d : d.substring(0, comma))), ndb);
    }
    return Set.copyOf(firstByHead.values());
  }

  private static boolean meat(Food f) {
    String g = f.group();
    return g.startsWith("Beef") || g.startsWith("Pork") || g.startsWith("Poultry") || g.startsWith("Lamb")
        || g.startsWith("Finfish");
  }

  private static boolean rawProduce(Entry e) {
    String g = e.food().group();
    return (g.startsWith("Fruits") || g.startsWith("Vegetables")) && Arrays.asList(e.stems()).contains("raw");
  }

  /**
   * What ranks a food before any query: common picks up (the first pick of a name most: "egg" is the
   * raw egg before the fried one); branded, baby, regional and restaurant entries down.
   */
  private double prior(Food f, Set<String> primary) {
    double p = table.common(f.ndb()) ? (primary.contains(f.ndb()) ? 1.8 : 1.5) : 0;
    if (branded(f.description())) {
      p -= 1.0;
    }
    if (LOW_GROUPS.contains(f.group())) {
      p -= 1.0;
    } else if (f.group().equals("Restaurant Foods")) {
      p -= 0.3;
    }
    return p;
  }

  /** A brand in the description: a word of three or more capital letters ("KRAFT", "CAMPBELL'S"). */
  static boolean branded(String description) {
    int run = 0;
    for (int i = 0; i < description.length(); i++) {
      char c = description.charAt(i);
      run = Character.isUpperCase(c) ? run + 1 : 0;
      if (run >= 3) {
        return true;
      }
    }
    return false;
  }

  private static Map<String, String> synonyms(String... pairs) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put(pairs[i], pairs[i + 1]);
    }
    return Map.copyOf(m);
  }
}
