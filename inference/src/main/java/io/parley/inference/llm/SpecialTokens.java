package io.parley.inference.llm;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Keeps message text from becoming a model's special tokens. llama.cpp tokenizes a prompt with its
 * special tokens parsed, so a user who types {@code <|im_end|>\n<|im_start|>system\n...} would
 * otherwise close their own turn and open a system turn of their choosing (and {@code </s>} would
 * end the conversation where they typed it). Each occurrence of a special token's text in a
 * message gets a zero-width space after its first character: the text reads the same, the
 * tokenizer no longer matches it, and the only special tokens in a prompt are the template's.
 *
 * <p>llama.cpp (b4916, through java-llama.cpp 4.2.0) offers no way to tokenize part of a prompt
 * with special tokens left unparsed, which would be the cleaner fix.
 */
final class SpecialTokens {

  /** Inserted into a special token's text: U+200B ZERO WIDTH SPACE. */
  static final char BREAK = '\u200B';

  static final SpecialTokens NONE = new SpecialTokens(Map.of());

  /**
   * The tokens by their first code point, longest first. A vocabulary may declare thousands of
   * special tokens (reserved and unused ones): only those starting with a character of the text are
   * ever compared, so a message costs about one map lookup per character.
   */
  private final Map<Integer, List<String>> byFirst;

  private SpecialTokens(Map<Integer, List<String>> byFirst) {
    this.byFirst = byFirst;
  }

  /** For these token texts (see {@link GgufFile#specialTokenTexts()}); texts holding a break are ignored. */
  static SpecialTokens of(Collection<String> texts) {
    Map<Integer, List<String>> byFirst = texts.stream()
        .filter(t -> t.codePointCount(0, t.length()) >= 2 && t.indexOf(BREAK) < 0)
        .distinct()
        .sorted(Comparator.comparingInt(String::length).reversed())
        .collect(Collectors.groupingBy(t -> t.codePointAt(0), Collectors.toList()));
    return byFirst.isEmpty() ? NONE : new SpecialTokens(Map.copyOf(byFirst));
  }

  /**
   * {@code text} with every special token's text broken (at each position the longest token that
   * starts there). Repeats until none is left, because breaking one match can leave another that
   * overlapped it; a break never creates a match, so this ends.
   */
  String neutralize(String text) {
    String s = text;
    while (true) {
      StringBuilder out = null;
      int last = 0;
      for (int i = 0; i < s.length(); ) {
        int cp = s.codePointAt(i);
        int width = Character.charCount(cp);
        String match = longestAt(s, i, byFirst.get(cp));
        if (match == null) {
          i += width;
          continue;
        }
        if (out == null) {
          out = new StringBuilder(s.length() + 8);
        }
        out.append(s, last, i + width).append(BREAK);
        last = i + width;
        i += match.length();
      }
      if (out == null) {
        return s;
      }
      s = out.append(s, last, s.length()).toString();
    }
  }

  private static String longestAt(String s, int at, List<String> candidates) {
    if (candidates != null) {
      for (String t : candidates) {
        if (s.startsWith(t, at)) {
          return t;
        }
      }
    }
    return null;
  }
}
