package io.parley.api.meals.foods;

import io.parley.api.meals.foods.Food.Portion;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The food table: every food of USDA SR24 ({@code nutrition/usda-sr24.tsv}, derived by
 * {@code api/tools/nutrition/derive}) with the common-food picks ({@code nutrition/common-foods.tsv}).
 * Read once at start (a classpath resource, before the node listens); immutable after.
 */
public final class FoodTable {

  static final String TABLE = "/nutrition/usda-sr24.tsv";
  static final String COMMON = "/nutrition/common-foods.tsv";
  private static final String[] HEADER = {"ndb", "group", "description", "kcal", "protein_g", "carbs_g", "fat_g",
      "fiber_g", "sugars_g", "sodium_mg", "portions"};

  private final Map<String, Food> byNdb;
  private final List<String> common;
  private final String provenance;

  FoodTable(Map<String, Food> byNdb, List<String> common, String provenance) {
    this.byNdb = Collections.unmodifiableMap(byNdb);
    this.common = List.copyOf(common);
    this.provenance = provenance;
  }

  /** The table shipped with Parley. */
  public static FoodTable load() {
    Map<String, Food> foods = new LinkedHashMap<>();
    StringBuilder provenance = new StringBuilder();
    forEachLine(TABLE, (n, line) -> {
      if (line.startsWith("#")) {
        provenance.append(line.substring(1).strip()).append(' ');
        return;
      }
      String[] f = line.split("\t", -1);
      if (f.length != HEADER.length) {
        throw new IllegalStateException(TABLE + " line " + n + ": " + f.length + " columns, expected " + HEADER.length);
      }
      if (f[0].equals("ndb")) {
        return;
      }
      foods.put(f[0], new Food(f[0], f[1], f[2], new Nutrients(num(f[3]), num(f[4]), num(f[5]), num(f[6]),
          num(f[7]), num(f[8]), num(f[9])), portions(f[10])));
    });
    List<String> common = new ArrayList<>();
    forEachLine(COMMON, (n, line) -> {
      if (line.startsWith("#") || line.isBlank()) {
        return;
      }
      String ndb = line.split("\t", 2)[0];
      if (!foods.containsKey(ndb)) {
        throw new IllegalStateException(COMMON + " line " + n + ": NDB " + ndb + " is not in the table");
      }
      if (!common.contains(ndb)) {
        common.add(ndb);
      }
    });
    return new FoodTable(foods, common, provenance.toString().strip());
  }

  public Optional<Food> get(String ndb) {
    return Optional.ofNullable(byNdb.get(ndb));
  }

  public int size() {
    return byNdb.size();
  }

  /** Every food, in NDB order. */
  public List<Food> foods() {
    return List.copyOf(byNdb.values());
  }

  /** Whether the food is the common pick for its plain name. */
  public boolean common(String ndb) {
    return common.contains(ndb);
  }

  /** The common picks, most common first for each name. */
  public List<String> commonInOrder() {
    return common;
  }

  /** Where the table comes from (its header comments). */
  public String provenance() {
    return provenance;
  }

  private static double num(String s) {
    return s.isEmpty() ? Double.NaN : Double.parseDouble(s);
  }

  private static List<Portion> portions(String s) {
    List<Portion> out = new ArrayList<>();
    if (s.isEmpty()) {
      return out;
    }
    for (String p : s.split("\\|")) {
      int colon = p.indexOf(':');
      int space = p.indexOf(' ', colon);
      out.add(new Portion(Double.parseDouble(p.substring(colon + 1, space)), p.substring(space + 1),
          Double.parseDouble(p.substring(0, colon))));
    }
    return out;
  }

  private interface LineHandler {
    void line(int number, String line);
  }

  private static void forEachLine(String resource, LineHandler handler) {
    try (InputStream in = FoodTable.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is missing from the classpath");
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      int n = 0;
      for (String line; (line = r.readLine()) != null; ) {
        handler.line(++n, line);
      }
    } catch (IOException e) {
      throw new IllegalStateException(resource + " unreadable", e);
    }
  }
}
