package io.parley.inference.llm;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

  static final SpecialTokens NONE = new SpecialTokens(null);

  private final Pattern pattern;

  private SpecialTokens(Pattern pattern) {
    this.pattern = pattern;
  }

  /** For these token texts (see {@link GgufFile#specialTokenTexts()}); texts holding a break are ignored. */
  static SpecialTokens of(Collection<String> texts) {
    List<String> usable = texts.stream()
        .filter(t -> t.codePointCount(0, t.length()) >= 2 && t.indexOf(BREAK) < 0)
        .distinct()
        .sorted(Comparator.comparingInt(String::length).reversed())
        .toList();
    if (usable.isEmpty()) {
      return NONE;
    }
    return new SpecialTokens(Pattern.compile(usable.stream().map(Pattern::quote).collect(Collectors.joining("|"))));
  }

  /**
   * {@code text} with every special token's text broken. Repeats until none is left, because
   * breaking one match can leave another that overlapped it; a break never creates a match, so this
   * ends.
   */
  String neutralize(String text) {
    if (pattern == null) {
      return text;
    }
    String s = text;
    Matcher m = pattern.matcher(s);
    while (m.find()) {
      StringBuilder out = new StringBuilder(s.length() + 8);
      int last = 0;
      do {
        int split = m.start() + Character.charCount(s.codePointAt(m.start()));
        out.append(s, last, split).append(BREAK);
        last = split;
      } while (m.find());
      s = out.append(s, last, s.length()).toString();
      m = pattern.matcher(s);
    }
    return s;
  }
}
