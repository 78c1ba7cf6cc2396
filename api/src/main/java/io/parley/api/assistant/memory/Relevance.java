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
 * four letters matches it (knee, knees), and short or common words count for nothing. With
 * embeddings ({@link #bySimilarity}), meaning instead: the cosine similarity of their vectors to
 * the question's, so "jogging" finds a note about runs.
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

  /**
   * Cosine similarity from which a vector counts as related to the question. Below it a text is
   * only kept when its words match (embedding models put unrelated texts at ~0-0.2).
   */
  public static final double SIMILAR = 0.3;

  /**
   * {@code newestFirst} ordered for {@code query} with {@code queryVector}: first those whose vector
   * is {@link #SIMILAR} to it, most similar first; then those that {@code matched} by words but have
   * no vector to compare (stored before embeddings were on, or while the server failed: they are
   * not lost behind the vectored ones), in word order; then matched ones whose vector is less
   * similar; then, when {@code keepRest}, the others (by similarity, those without a vector last).
   */
  public static <T> List<T> bySimilarity(List<T> newestFirst, String query, float[] queryVector,
                                         Function<T, String> text, Function<T, float[]> vector,
                                         java.util.function.Predicate<T> matched, boolean keepRest) {
    List<T> similar = new ArrayList<>();
    List<T> wordsOnly = new ArrayList<>();
    List<T> weak = new ArrayList<>();
    List<T> rest = new ArrayList<>();
    java.util.Map<T, Double> score = new java.util.IdentityHashMap<>();
    for (T m : rank(newestFirst, query, text)) {
      double s = cosine(queryVector, vector.apply(m));
      score.put(m, s);
      if (s >= SIMILAR) {
        similar.add(m);
      } else if (matched.test(m)) {
        (s == -2 ? wordsOnly : weak).add(m);
      } else {
        rest.add(m);
      }
    }
    Comparator<T> bySimilarity = Comparator.comparingDouble((T m) -> -score.get(m)); // stable: word order among equals
    similar.sort(bySimilarity);
    weak.sort(bySimilarity);
    rest.sort(bySimilarity);
    List<T> out = new ArrayList<>(similar);
    out.addAll(wordsOnly);
    out.addAll(weak);
    if (keepRest) {
      out.addAll(rest);
    }
    return out;
  }

  /** Whether {@code text} shares a word that counts with {@code query} ({@link #rank}'s rule). */
  public static boolean sharesWords(String query, String text) {
    return shared(words(query), words(text)) > 0;
  }

  /** The cosine similarity of {@code a} and {@code b}, -2 (below any) when either is missing, empty or zero or their lengths differ. */
  public static double cosine(float[] a, float[] b) {
    if (a == null || b == null || a.length != b.length || a.length == 0) {
      return -2;
    }
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return na == 0 || nb == 0 ? -2 : dot / Math.sqrt(na * nb);
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
