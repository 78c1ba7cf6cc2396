package io.parley.api.meals.foods;

import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Energy and the nutrients a meal log shows. A value SR24 does not give is {@code NaN} here and
 * {@code null} in JSON: unknown, not zero; a sum with an unknown part is unknown only when every part
 * is.
 */
public record Nutrients(double kcal, double proteinG, double carbsG, double fatG, double fiberG, double sugarsG,
                        double sodiumMg) {

  public static final Nutrients ZERO = new Nutrients(0, 0, 0, 0, 0, 0, 0);

  /** These values for {@code grams} of a food whose values are per 100 g. */
  public Nutrients forGrams(double grams) {
    double f = grams / 100.0;
    return new Nutrients(kcal * f, proteinG * f, carbsG * f, fatG * f, fiberG * f, sugarsG * f, sodiumMg * f);
  }

  /** The sum; an unknown value counts as nothing unless both are unknown. */
  public Nutrients plus(Nutrients o) {
    return new Nutrients(add(kcal, o.kcal), add(proteinG, o.proteinG), add(carbsG, o.carbsG), add(fatG, o.fatG),
        add(fiberG, o.fiberG), add(sugarsG, o.sugarsG), add(sodiumMg, o.sodiumMg));
  }

  private static double add(double a, double b) {
    return Double.isNaN(a) ? b : Double.isNaN(b) ? a : a + b;
  }

  /** As a meal shows it: one decimal (sodium whole milligrams). */
  public JsonObject json() {
    return json(1);
  }

  /** With {@code places} decimals (a table's own values keep their three). */
  public JsonObject json(int places) {
    return new JsonObject().put("kcal", round(kcal, places)).put("protein_g", round(proteinG, places))
        .put("carbs_g", round(carbsG, places)).put("fat_g", round(fatG, places)).put("fiber_g", round(fiberG, places))
        .put("sugars_g", round(sugarsG, places)).put("sodium_mg", round(sodiumMg, Math.max(0, places - 1)));
  }

  /** Back from {@link #json()}: missing or null values are unknown. */
  public static Nutrients fromJson(JsonObject j) {
    return new Nutrients(d(j, "kcal"), d(j, "protein_g"), d(j, "carbs_g"), d(j, "fat_g"), d(j, "fiber_g"),
        d(j, "sugars_g"), d(j, "sodium_mg"));
  }

  private static double d(JsonObject j, String k) {
    Double v = j.getDouble(k);
    return v == null ? Double.NaN : v;
  }

  /** {@code v} rounded half-even to {@code places}, or null when unknown. */
  static Double round(double v, int places) {
    return Double.isNaN(v) ? null : BigDecimal.valueOf(v).setScale(places, RoundingMode.HALF_EVEN).doubleValue();
  }

  /** "1", "0.5", "2.25": an amount without a trailing ".0". */
  static String plain(double v) {
    return BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
  }
}
