package io.parley.inference.tts;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Cuts text streaming from a chat model into pieces worth speaking, so the first sentence can be
 * synthesized while the model is still writing the rest.
 *
 * <p>A piece ends
 *
 * <ul>
 *   <li>after {@code .}, {@code !} or {@code ?} (and any closing quotes or brackets) followed by
 *       whitespace: not inside numbers ({@code 3.5}), after common abbreviations ({@code Dr.},
 *       {@code Mr.}, {@code Mrs.}, {@code e.g.}, {@code i.e.}, {@code vs.}, see
 *       {@link #ABBREVIATIONS}), dotted initialisms ({@code U.S.}), single initials
 *       ({@code J. R. R. Tolkien}) or an ellipsis ({@code ...}, {@code …});</li>
 *   <li>at a newline;</li>
 *   <li>when it would grow past {@code maxChars}: at the last comma, semicolon or colon, else the
 *       last space, else anywhere.</li>
 * </ul>
 *
 * <p>A boundary that would leave a piece shorter than {@code minChars} is skipped, so "Sure!" is
 * spoken together with the sentence after it. Whitespace inside a piece is collapsed to single
 * spaces. The result does not depend on how the text is split into pushes: a boundary that needs
 * the next character waits for it (or for {@link #flush}). Not thread-safe: one per answer.
 */
public final class SentenceChunker {

  /** Shorter pieces are merged with the next. */
  public static final int DEFAULT_MIN_CHARS = 12;
  /** Longer pieces are cut at a comma or space. */
  public static final int DEFAULT_MAX_CHARS = 240;
  /** How far back a word before a period is examined for an abbreviation. */
  public static final int MAX_ABBREVIATION_CHARS = 16;

  /** Words that a period after does not end a sentence (lower case, without the final period). */
  public static final Set<String> ABBREVIATIONS = Set.of(
      "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "vs", "e.g", "i.e", "cf", "approx", "fig", "dept",
      "est", "min", "max", "avg");

  private static final Pattern INITIALISM = Pattern.compile("(\\p{L}\\.)+\\p{L}");
  private static final Pattern WHITESPACE = Pattern.compile("\\s+");

  private final int minChars;
  private final int maxChars;
  private final StringBuilder pending = new StringBuilder();
  private int scan;

  public SentenceChunker() {
    this(DEFAULT_MIN_CHARS, DEFAULT_MAX_CHARS);
  }

  public SentenceChunker(int minChars, int maxChars) {
    if (minChars < 0 || maxChars < 2 || minChars >= maxChars) {
      throw new IllegalArgumentException("need 0 <= minChars < maxChars, 2 <= maxChars; got " + minChars + ", "
          + maxChars);
    }
    this.minChars = minChars;
    this.maxChars = maxChars;
  }

  /** Adds streamed text; returns the pieces it completes (often none). */
  public List<String> push(CharSequence text) {
    pending.append(text);
    List<String> out = new ArrayList<>();
    int i = scan;
    while (i < pending.length()) {
      char c = pending.charAt(i);
      int cut = -1;
      if (c == '\n') {
        cut = i + 1;
      } else if (c == '.' || c == '!' || c == '?') {
        int next = i + 1;
        while (next < pending.length() && isCloser(pending.charAt(next))) {
          next++;
        }
        if (next == pending.length()) {
          break; // whether this ends a sentence depends on what comes next
        }
        if (Character.isWhitespace(pending.charAt(next)) && endsSentence(i)) {
          cut = next;
        }
      }
      if (cut >= 0 && normalize(pending.substring(0, cut)).length() >= minChars) {
        emit(cut, out);
        i = 0; // everything left is unexamined
        continue;
      }
      if (i + 1 >= maxChars) {
        int removed = emit(forcedCut(i + 1), out);
        i = Math.max(0, i + 1 - removed); // what is left up to i holds no boundary
        continue;
      }
      i++;
    }
    scan = i;
    return out;
  }

  /** Ends the text: returns what is left, if anything. */
  public Optional<String> flush() {
    String rest = normalize(pending);
    clear();
    return rest.isEmpty() ? Optional.empty() : Optional.of(rest);
  }

  /** Drops the text not yet returned (the answer was interrupted). */
  public void clear() {
    pending.setLength(0);
    scan = 0;
  }

  /** Emits {@code [0, cut)}, removes it and the whitespace after it; returns how many chars went. */
  private int emit(int cut, List<String> out) {
    String piece = normalize(pending.substring(0, cut));
    if (!piece.isEmpty()) {
      out.add(piece);
    }
    int skip = cut;
    while (skip < pending.length() && Character.isWhitespace(pending.charAt(skip))) {
      skip++;
    }
    pending.delete(0, skip);
    return skip;
  }

  /** Where to cut a piece of {@code length} chars that has no sentence end. */
  private int forcedCut(int length) {
    for (int k = length - 1; k >= minChars; k--) { // a clause end followed by a space
      char c = pending.charAt(k - 1);
      if ((c == ',' || c == ';' || c == ':') && Character.isWhitespace(pending.charAt(k))) {
        return k;
      }
    }
    for (int k = length - 1; k > minChars; k--) {
      if (Character.isWhitespace(pending.charAt(k))) {
        return k;
      }
    }
    return Character.isHighSurrogate(pending.charAt(length - 1)) ? length - 1 : length;
  }

  /** Whether the punctuation at {@code i}, followed by whitespace, ends a sentence. */
  private boolean endsSentence(int i) {
    if (pending.charAt(i) != '.') {
      return true;
    }
    if (i > 0 && (pending.charAt(i - 1) == '.' || pending.charAt(i - 1) == '…')) {
      return false; // an ellipsis
    }
    int start = i;
    while (start > 0 && i - start < MAX_ABBREVIATION_CHARS
        && (Character.isLetter(pending.charAt(start - 1)) || pending.charAt(start - 1) == '.')) {
      start--;
    }
    String word = pending.substring(start, i);
    if (word.isEmpty()) {
      return true; // after a number, a bracket, a quote
    }
    if (ABBREVIATIONS.contains(word.toLowerCase(Locale.ROOT)) || INITIALISM.matcher(word).matches()) {
      return false;
    }
    // a single capital is an initial ("J. Smith"), except the pronoun
    return !(word.length() == 1 && Character.isUpperCase(word.charAt(0)) && !word.equals("I"));
  }

  private static boolean isCloser(char c) {
    return c == '"' || c == '\'' || c == ')' || c == ']' || c == '”' || c == '’' || c == '»' || c == '*';
  }

  private static String normalize(CharSequence text) {
    return WHITESPACE.matcher(text).replaceAll(" ").strip();
  }
}
