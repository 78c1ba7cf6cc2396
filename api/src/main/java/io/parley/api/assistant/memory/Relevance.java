package io.parley.api.assistant.memory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * Which memories matter for what the user just said: those sharing more of its words first, and
 * among equals the newer first. Words are compared lowercased; one that begins another of at least
 * four letters matches it (knee, knees), and short or common words count for nothing.
 */
public final class Relevance {

  private static final Set<String> COMMON = Set.of("the", "and", "for", "you", "your", "are", "was", "what", "with",
      "that", "this", "have", "has", "how", "can", "not", "but", "from", "about", "did", "does", "will", "would",
      "should", "could", "there", "they", "them", "then", "than", "when", "which", "who", "why", "much", "many",
      "some", "any", "all", "just", "like", "been", "into", "also", "its", "our", "out", "get", "got", "too");

  private Relevance() {}

  /** {@code newestFirst} ordered for {@code query}: most shared words first, then as given. */
  public static <T> List<T> rank(List<T> newestFirst, String query, Function<T, String> text) {
    Set<String> asked = words(query);
    List<T> out = new ArrayList<>(newestFirst);
    if (asked.isEmpty()) {
      return out;
    }
    // A stable sort keeps the newer first among memories sharing as many words.
    out.sort(Comparator.comparingInt((T m) -> -shared(asked, words(text.apply(m)))));
    return out;
  }

  /** The words that count of {@code text}, lowercased. */
  public static Set<String> words(String text) {
    Set<String> out = new HashSet<>();
    if (text == null) {
      return out;
    }
    for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
      if (w.length() >= 3 && !COMMON.contains(w)) {
        out.add(w);
      }
    }
    return out;
  }

  private static int shared(Set<String> asked, Set<String> words) {
    int n = 0;
    for (String a : asked) {
      for (String w : words) {
        if (a.equals(w) || (Math.min(a.length(), w.length()) >= 4 && (a.startsWith(w) || w.startsWith(a)))) {
          n++;
          break;
        }
      }
    }
    return n;
  }
}
