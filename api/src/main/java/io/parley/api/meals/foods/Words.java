package io.parley.api.meals.foods;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The words of a food description or a query, as search compares them. */
final class Words {

  private Words() {}

  /** Lower-case words: accents dropped, anything but letters and digits separates ("whole-wheat" is two words). */
  static List<String> of(String text) {
    String s = Normalizer.normalize(text, Normalizer.Form.NFKD).replaceAll("\\p{M}+", "").toLowerCase(Locale.ROOT);
    List<String> out = new ArrayList<>();
    int start = -1;
    for (int i = 0; i <= s.length(); i++) {
      boolean word = i < s.length() && Character.isLetterOrDigit(s.charAt(i));
      if (word && start < 0) {
        start = i;
      } else if (!word && start >= 0) {
        out.add(s.substring(start, i));
        start = -1;
      }
    }
    return out;
  }

  /** {@link #of} with each word made singular. */
  static List<String> stems(String text) {
    List<String> out = new ArrayList<>();
    for (String w : of(text)) {
      out.add(singular(w));
    }
    return out;
  }

  /**
   * English plural to singular, enough for food names: berries -> berry, potatoes -> potato,
   * peaches -> peach, eggs -> egg; words that end in -ss, -us or -is, and short words, stay.
   */
  static String singular(String w) {
    int n = w.length();
    if (n <= 3 || w.endsWith("ss") || w.endsWith("us") || w.endsWith("is") || !w.endsWith("s")) {
      return w;
    }
    if (w.endsWith("ies") && n > 4) {
      return w.substring(0, n - 3) + "y";
    }
    if (w.endsWith("oes") || w.endsWith("ches") || w.endsWith("shes") || w.endsWith("sses") || w.endsWith("xes")) {
      return w.substring(0, n - 2);
    }
    return w.substring(0, n - 1);
  }
}
