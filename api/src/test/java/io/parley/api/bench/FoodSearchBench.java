package io.parley.api.bench;

import io.parley.api.meals.foods.Food;
import io.parley.api.meals.foods.FoodSearch;
import io.parley.api.meals.foods.FoodTable;
import io.parley.api.meals.foods.FoodText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Food search latency (run by {@code ./parley bench foods}; a plain main, not a test). Per round:
 * every query of a fixed list, {@link #REPEAT} times each, timed one by one, through the ranked
 * search; the same queries through its peer, a linear scan of every description for the query's
 * words (what a table without an index does: no ranking beyond shortest first); and meal texts
 * through the text reader. Prints one JSON line of medians over {@code rounds}.
 */
public final class FoodSearchBench {

  static final List<String> QUERIES = List.of("egg", "eggs", "banana", "ban", "apple", "bread", "whole wheat toast",
      "toast", "milk", "rice", "fries", "french fries", "chicken breast", "coffee", "cheese", "peanut butter", "oatmeal",
      "donut", "sandwich", "pizza", "hot dog", "orange juice", "yogurt", "salmon", "steak", "potato", "pasta",
      "almonds", "fried rice", "ground beef", "broccoli", "carrots", "tea", "sugar", "chocolate", "avocado",
      "strawberries", "blueberries", "grapes", "cucumber", "lettuce", "tomato", "cereal", "granola bar", "soda",
      "beer", "wine", "ice cream", "cookie", "muffin", "bagel", "tortilla", "beans", "lentils", "tofu", "hummus",
      "xyzzy", "c", "ch", "chi");
  static final List<String> TEXTS = List.of("two eggs and a slice of whole wheat toast",
      "1/2 cup rice, 100 g chicken breast", "a medium banana", "1 1/2 cups of milk", "coffee with milk",
      "a bowl of oatmeal with blueberries and a glass of orange juice", "3 oz steak, a baked potato and broccoli",
      "two and a half slices of pizza", "a donut and a coffee", "200g salmon with rice and a salad");
  static final int REPEAT = 50;

  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    long t0 = System.nanoTime();
    FoodTable table = FoodTable.load();
    FoodSearch search = new FoodSearch(table);
    FoodText text = new FoodText(search);
    double loadMs = (System.nanoTime() - t0) / 1e6;
    List<Food> foods = table.foods();
    // Warm-up: the JIT sees every path before anything is timed.
    for (int i = 0; i < 20; i++) {
      QUERIES.forEach(q -> search.search(q, 10));
      QUERIES.forEach(q -> scan(foods, q, 10));
      TEXTS.forEach(text::read);
    }
    double[][] r = new double[6][rounds];
    for (int round = 0; round < rounds; round++) {
      double[] s = time(QUERIES, q -> search.search(q, 10).size());
      double[] l = time(QUERIES, q -> scan(foods, q, 10).size());
      double[] t = time(TEXTS, q -> text.read(q).items().size());
      r[0][round] = pct(s, 50);
      r[1][round] = pct(s, 99);
      r[2][round] = pct(l, 50);
      r[3][round] = pct(l, 99);
      r[4][round] = pct(t, 50);
      r[5][round] = pct(t, 99);
    }
    System.out.printf(Locale.ROOT, "{\"foods\":%d,\"load_ms\":%.0f,\"search_p50_us\":%.1f,\"search_p99_us\":%.1f,"
            + "\"scan_p50_us\":%.1f,\"scan_p99_us\":%.1f,\"text_p50_us\":%.1f,\"text_p99_us\":%.1f}%n",
        table.size(), loadMs, median(r[0]), median(r[1]), median(r[2]), median(r[3]), median(r[4]), median(r[5]));
  }

  private static double[] time(List<String> inputs, java.util.function.ToIntFunction<String> op) {
    double[] us = new double[inputs.size() * REPEAT];
    int n = 0;
    int sink = 0;
    for (int k = 0; k < REPEAT; k++) {
      for (String q : inputs) {
        long start = System.nanoTime();
        sink += op.applyAsInt(q);
        us[n++] = (System.nanoTime() - start) / 1e3;
      }
    }
    if (sink == Integer.MIN_VALUE) {
      System.out.println(sink);
    }
    return us;
  }

  /** The peer: every description scanned for every word of the query; shortest descriptions first. */
  static List<Food> scan(List<Food> foods, String query, int limit) {
    String[] words = query.toLowerCase(Locale.ROOT).split("\\s+");
    List<Food> out = new ArrayList<>();
    for (Food f : foods) {
      String d = f.description().toLowerCase(Locale.ROOT);
      boolean all = true;
      for (String w : words) {
        if (!d.contains(w)) {
          all = false;
          break;
        }
      }
      if (all) {
        out.add(f);
      }
    }
    out.sort(Comparator.comparingInt(f -> f.description().length()));
    return out.subList(0, Math.min(limit, out.size()));
  }

  static double pct(double[] v, double p) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[(int) Math.min(s.length - 1, Math.ceil(p / 100.0 * s.length) - 1)];
  }

  static double median(double[] v) {
    return pct(v, 50);
  }
}
