package io.parley.api.meals.foods;

import io.parley.api.meals.foods.Food.Portion;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a detector's labels mean as food: label -> food of the table, the portion one detected item
 * usually is, and the share of a dinner plate that portion covers. Shipped for COCO's food classes
 * ({@code nutrition/labels-coco.tsv}); an operator's file ({@code PARLEY_VISION_FOOD_LABELS}, same
 * columns) replaces it for a food-trained detector. A label not listed is not food, unless label
 * search is on ({@code PARLEY_VISION_LABEL_SEARCH}): then the food search resolves it.
 */
public final class FoodLabels {

  static final String SHIPPED = "/nutrition/labels-coco.tsv";

  /** One label's food. */
  public record Entry(String label, Food food, Portion portion, double plateShare, OptionalInt fdcId) {}

  private final Map<String, Entry> byLabel;
  private final String origin;

  private FoodLabels(Map<String, Entry> byLabel, String origin) {
    this.byLabel = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(byLabel));
    this.origin = origin;
  }

  /** The shipped COCO mapping. */
  public static FoodLabels shipped(FoodTable table) {
    try (InputStream in = FoodLabels.class.getResourceAsStream(SHIPPED)) {
      if (in == null) {
        throw new IllegalStateException(SHIPPED + " is missing from the classpath");
      }
      return parse(table, new String(in.readAllBytes(), StandardCharsets.UTF_8), "nutrition/labels-coco.tsv");
    } catch (IOException e) {
      throw new IllegalStateException(SHIPPED + " unreadable", e);
    }
  }

  /** An operator's mapping file; a bad line is a configuration error naming the file and the line. */
  public static FoodLabels file(FoodTable table, Path file) {
    try {
      return parse(table, Files.readString(file, StandardCharsets.UTF_8), file.toString());
    } catch (IOException e) {
      throw new ParleyException(Reason.CONFIG, "PARLEY_VISION_FOOD_LABELS: cannot read " + file + ": " + e.getMessage());
    }
  }

  static FoodLabels parse(FoodTable table, String text, String origin) {
    Map<String, Entry> out = new LinkedHashMap<>();
    String[] lines = text.split("\r?\n");
    for (int n = 0; n < lines.length; n++) {
      String line = lines[n];
      if (line.isBlank() || line.startsWith("#") || line.startsWith("label\t")) {
        continue;
      }
      String where = origin + " line " + (n + 1) + ": ";
      String[] f = line.split("\t", -1);
      if (f.length < 4 || f.length > 5) {
        throw bad(where + "expected label, ndb, portion, plate_share[, fdc_id] separated by tabs");
      }
      String label = f[0].strip();
      Food food = table.get(f[1].strip()).orElseThrow(() -> bad(where + "no food with NDB number " + f[1]));
      Portion portion = food.portion(f[2].strip()).orElseThrow(() -> bad(where + "\"" + food.description()
          + "\" has no portion \"" + f[2] + "\""));
      double share;
      try {
        share = Double.parseDouble(f[3].strip());
      } catch (NumberFormatException e) {
        throw bad(where + "plate_share must be a number");
      }
      if (!(share >= 0.01 && share <= 1)) {
        throw bad(where + "plate_share must be between 0.01 and 1");
      }
      OptionalInt fdc = OptionalInt.empty();
      if (f.length == 5 && !f[4].isBlank()) {
        try {
          fdc = OptionalInt.of(Integer.parseInt(f[4].strip()));
        } catch (NumberFormatException e) {
          throw bad(where + "fdc_id must be a whole number");
        }
      }
      if (out.put(label, new Entry(label, food, portion, share, fdc)) != null) {
        throw bad(where + "label \"" + label + "\" is listed twice");
      }
    }
    return new FoodLabels(out, origin);
  }

  private static ParleyException bad(String message) {
    return new ParleyException(Reason.CONFIG, "PARLEY_VISION_FOOD_LABELS: " + message);
  }

  public Optional<Entry> get(String label) {
    return Optional.ofNullable(byLabel.get(label));
  }

  /** The labels that are food. */
  public java.util.Set<String> labels() {
    return byLabel.keySet();
  }

  /** Where the mapping came from. */
  public String origin() {
    return origin;
  }
}
