import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Derives Parley's compact food table from the USDA National Nutrient Database for Standard
 * Reference, release 24, as packaged in Debian's {@code cronometer} ({@code usda_sr24.jar}: a zip of
 * {@code usda_sr24/foods.index} and one XML file per food). Run by {@code api/tools/nutrition/derive};
 * usage: {@code java DeriveUsdaTable.java usda_sr24.jar out.tsv}.
 *
 * <p>Output: a UTF-8 TSV, one food per line, {@code #} comment lines first (provenance). Columns: NDB
 * number, food group, description, then per 100 g: kcal, protein g, carbohydrate g, fat g, fiber g,
 * sugars g, sodium mg (empty where SR24 has no value: unknown, not zero), then the household portions
 * as {@code grams:amount name} joined by {@code |} (e.g. {@code 118:1 medium (7" to 7-7/8" long)}).
 *
 * <p>Food group: SR numbers a food within its group's block (01xxx dairy and egg, 09xxx fruits, ...),
 * and the jar carries no group field, so the group comes from the NDB number's first two digits where
 * that block belongs to one group; the foods numbered in the mixed blocks (42xxx-44xxx and a few
 * single ones) are grouped by the words of their description, and those no rule places are "Other".
 */
public final class DeriveUsdaTable {

  static final Map<String, String> GROUPS = new LinkedHashMap<>();
  static {
    GROUPS.put("01", "Dairy and Egg Products");
    GROUPS.put("02", "Spices and Herbs");
    GROUPS.put("03", "Baby Foods");
    GROUPS.put("04", "Fats and Oils");
    GROUPS.put("05", "Poultry Products");
    GROUPS.put("06", "Soups, Sauces, and Gravies");
    GROUPS.put("07", "Sausages and Luncheon Meats");
    GROUPS.put("08", "Breakfast Cereals");
    GROUPS.put("09", "Fruits and Fruit Juices");
    GROUPS.put("10", "Pork Products");
    GROUPS.put("11", "Vegetables and Vegetable Products");
    GROUPS.put("12", "Nut and Seed Products");
    GROUPS.put("13", "Beef Products");
    GROUPS.put("14", "Beverages");
    GROUPS.put("15", "Finfish and Shellfish Products");
    GROUPS.put("16", "Legumes and Legume Products");
    GROUPS.put("17", "Lamb, Veal, and Game Products");
    GROUPS.put("18", "Baked Products");
    GROUPS.put("19", "Sweets");
    GROUPS.put("20", "Cereal Grains and Pasta");
    GROUPS.put("21", "Fast Foods");
    GROUPS.put("22", "Meals, Entrees, and Side Dishes");
    GROUPS.put("23", "Beef Products");
    GROUPS.put("25", "Snacks");
    GROUPS.put("27", "Soups, Sauces, and Gravies");
    GROUPS.put("31", "Vegetables and Vegetable Products");
    GROUPS.put("35", "American Indian/Alaska Native Foods");
    GROUPS.put("36", "Restaurant Foods");
    GROUPS.put("48", "Cereal Grains and Pasta");
    GROUPS.put("80", "Finfish and Shellfish Products");
    GROUPS.put("83", "Finfish and Shellfish Products");
    GROUPS.put("90", "Finfish and Shellfish Products");
    GROUPS.put("93", "Finfish and Shellfish Products");
  }

  /** Description words -> group, first match wins; for the mixed blocks only. */
  static final String[][] WORD_RULES = {
      {"babyfood|infant formula|toddler", "Baby Foods"},
      {"frozen yogurt|pudding|jellies|jams|candies|syrup|dessert|ice cream|sugar|frosting|topping|gelatin", "Sweets"},
      {"salad dressing|mayonnaise|margarine|shortening|oil|butter, ", "Fats and Oils"},
      {"sausage|frankfurter|bologna|salami|luncheon|bacon|ham,|pastrami", "Sausages and Luncheon Meats"},
      {"meatless|tofu|soy|bean|peanut|hummus", "Legumes and Legume Products"},
      {"beef", "Beef Products"},
      {"pork", "Pork Products"},
      {"turkey|chicken", "Poultry Products"},
      {"cheese|milk|yogurt|cream|egg", "Dairy and Egg Products"},
      {"bread|cake|cookie|cracker|muffin|pie|roll|pancake|waffle|tortilla|biscuit", "Baked Products"},
      {"cereal|granola|oat", "Breakfast Cereals"},
      {"soup|sauce|gravy|dip", "Soups, Sauces, and Gravies"},
      {"beverage|drink|juice|tea|coffee|cocoa", "Beverages"},
      {"fish|crab|shrimp|tuna|salmon", "Finfish and Shellfish Products"},
      {"rice|pasta|noodle|flour|wheat|corn", "Cereal Grains and Pasta"},
      {"snack|chips|popcorn|pretzel", "Snacks"},
      {"potato|tomato|vegetable|pepper|carrot", "Vegetables and Vegetable Products"},
      {"apple|orange|fruit|berr|grape|peach", "Fruits and Fruit Juices"},
  };

  record Portion(double amount, String name, double grams) {}

  record Food(String ndb, String group, String description, Double kcal, Double protein, Double carbs, Double fat,
              Double fiber, Double sugars, Double sodium, List<Portion> portions) {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: java DeriveUsdaTable.java usda_sr24.jar out.tsv");
      System.exit(2);
    }
    Path jar = Path.of(args[0]);
    Path out = Path.of(args[1]);
    String sha = sha256(jar);
    List<Food> foods = new ArrayList<>();
    Map<String, Integer> groupedBy = new TreeMap<>();
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      List<String> ndbs = new ArrayList<>();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(open(zip, "usda_sr24/foods.index"),
          StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          if (!line.isBlank()) {
            ndbs.add(line.substring(0, line.indexOf('|')));
          }
        }
      }
      for (String ndb : ndbs) {
        Food f = parse(ndb, open(zip, "usda_sr24/" + ndb + ".xml"));
        groupedBy.merge(GROUPS.containsKey(ndb.substring(0, 2)) ? "number" : "words", 1, Integer::sum);
        foods.add(f);
      }
    }
    foods.sort((a, b) -> a.ndb().compareTo(b.ndb()));
    Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
    try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
      w.write("# Parley food table: derived from the USDA National Nutrient Database for Standard Reference, Release 24 (2011).\n");
      w.write("# Source: usda_sr24.jar of the Debian package cronometer 0.9.9+dfsg1-1, sha256 " + sha + ".\n");
      w.write("# USDA food composition data is in the public domain. Rebuild with api/tools/nutrition/derive.\n");
      w.write("# " + foods.size() + " foods; group from the NDB number block for " + groupedBy.getOrDefault("number", 0)
          + ", from description words for " + groupedBy.getOrDefault("words", 0) + " (mixed blocks).\n");
      w.write("# Values per 100 g of the food as described; empty = no value in SR24 (unknown, not zero).\n");
      w.write("ndb\tgroup\tdescription\tkcal\tprotein_g\tcarbs_g\tfat_g\tfiber_g\tsugars_g\tsodium_mg\tportions\n");
      for (Food f : foods) {
        StringBuilder portions = new StringBuilder();
        for (Portion p : f.portions()) {
          if (!portions.isEmpty()) {
            portions.append('|');
          }
          portions.append(num(p.grams())).append(':').append(num(p.amount())).append(' ').append(p.name());
        }
        w.write(String.join("\t", f.ndb(), f.group(), f.description(), num(f.kcal()), num(f.protein()),
            num(f.carbs()), num(f.fat()), num(f.fiber()), num(f.sugars()), num(f.sodium()), portions) + "\n");
      }
    }
    Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    System.out.println("wrote " + foods.size() + " foods to " + out.getFileName() + " (" + groupedBy + ")");
  }

  static InputStream open(ZipFile zip, String name) throws IOException {
    ZipEntry e = zip.getEntry(name);
    if (e == null) {
      throw new IOException(name + " is not in the jar");
    }
    return zip.getInputStream(e);
  }

  static Food parse(String ndb, InputStream in) throws XMLStreamException, IOException {
    XMLInputFactory factory = XMLInputFactory.newFactory();
    factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    Map<String, Double> nutrients = new LinkedHashMap<>();
    List<Portion> portions = new ArrayList<>();
    String name = null;
    try (in) {
      XMLStreamReader x = factory.createXMLStreamReader(in, "UTF-8");
      while (x.hasNext()) {
        if (x.next() != XMLStreamConstants.START_ELEMENT) {
          continue;
        }
        switch (x.getLocalName()) {
          case "food" -> {
            name = x.getAttributeValue(null, "name");
            if (!ndb.equals(x.getAttributeValue(null, "uid"))) {
              throw new IOException(ndb + ".xml has uid " + x.getAttributeValue(null, "uid"));
            }
          }
          case "measure" -> {
            String m = clean(x.getAttributeValue(null, "name"));
            if (m.contains("|")) {
              throw new IOException(ndb + ": portion name with a separator: " + m);
            }
            portions.add(new Portion(Double.parseDouble(x.getAttributeValue(null, "amount")), m,
                Double.parseDouble(x.getAttributeValue(null, "grams"))));
          }
          case "nutrient" -> nutrients.put(x.getAttributeValue(null, "name"),
              Double.parseDouble(x.getAttributeValue(null, "amount")));
          default -> { }
        }
      }
    }
    if (name == null) {
      throw new IOException(ndb + ".xml has no food element");
    }
    String description = clean(name);
    return new Food(ndb, group(ndb, description), description, nutrients.get("Energy"), nutrients.get("Protein"),
        nutrients.get("Carbs"), nutrients.get("Fat"), nutrients.get("Fiber"), nutrients.get("Sugars"),
        nutrients.get("Sodium"), portions);
  }

  static String group(String ndb, String description) {
    String byNumber = GROUPS.get(ndb.substring(0, 2));
    if (byNumber != null) {
      return byNumber;
    }
    String d = description.toLowerCase(Locale.ROOT);
    for (String[] rule : WORD_RULES) {
      for (String word : rule[0].split("\\|")) {
        if (d.contains(word)) {
          return rule[1];
        }
      }
    }
    return "Other";
  }

  static String clean(String s) {
    return s.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ').strip().replaceAll(" {2,}", " ");
  }

  static String num(Double v) {
    if (v == null) {
      return "";
    }
    String s = new java.math.BigDecimal(v).setScale(3, java.math.RoundingMode.HALF_EVEN).stripTrailingZeros()
        .toPlainString();
    return s;
  }

  static String sha256(Path file) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
