package io.parley.inference.tts;

import java.util.regex.Pattern;

/**
 * Turns the pieces of a chat model's answer into what should be said aloud: chat models write
 * Markdown, and a speech engine would read its syntax ("asterisk asterisk"). Stateful across the
 * pieces of one answer (a fenced code block spans lines); not thread-safe: one per answer, fed the
 * {@link SentenceChunker}'s pieces in order.
 *
 * <ul>
 *   <li>fenced code blocks ({@code ```}) and horizontal rules are not spoken;</li>
 *   <li>headings ({@code #}), block quotes ({@code >}) and bullets ({@code -}, {@code *}, {@code +})
 *       lose their markers; numbered items keep their number;</li>
 *   <li>links and images are spoken as their text ({@code [text](url)} -> {@code text});</li>
 *   <li>emphasis, strike-through and inline-code markers ({@code * _ ~ `}) at the edges of words are
 *       dropped, even when the chunker split a span between two pieces; inside words
 *       ({@code snake_case}) and between spaces ({@code 3 * 4}) they stay;</li>
 *   <li>table rows are spoken cell by cell; their separator rows not at all; HTML tags are dropped.</li>
 * </ul>
 *
 * A piece left with no letter or digit is empty: nothing to say.
 */
public final class Speakable {

  private static final Pattern FENCE = Pattern.compile("^\\s*(```|~~~).*");
  private static final Pattern RULE = Pattern.compile("^\\s*([-*_]\\s*){3,}$");
  private static final Pattern LINE_MARKERS = Pattern.compile("^\\s*(#{1,6}\\s+|>\\s*|[-*+]\\s+)+");
  private static final Pattern IMAGE_OR_LINK = Pattern.compile("!?\\[([^\\]]*)]\\([^)]*\\)");
  private static final Pattern TABLE_SEPARATOR = Pattern.compile("^\\s*\\|?\\s*:?-{2,}:?\\s*(\\|\\s*:?-{2,}:?\\s*)*\\|?\\s*$");
  private static final Pattern HTML_TAG = Pattern.compile("</?[a-zA-Z][^>]*>");
  private static final Pattern OPENING_MARKS = Pattern.compile("(?<=^|[\\s\\p{Ps}\"'])[*_~`]+(?=\\S)");
  private static final Pattern CLOSING_MARKS = Pattern.compile("(?<=\\S)[*_~`]+(?=$|[\\s\\p{P}&&[^*_~`]])");
  private static final Pattern LONE_MARKS = Pattern.compile("(?<=^|\\s)[*_~`]{2,}(?=$|\\s)");
  private static final Pattern SPEAKABLE = Pattern.compile("[\\p{L}\\p{N}]");
  private static final Pattern WHITESPACE = Pattern.compile("\\s+");

  private boolean inCode;

  /** What to say for {@code piece}; empty when nothing. */
  public String apply(String piece) {
    if (FENCE.matcher(piece).matches()) {
      inCode = !inCode;
      return "";
    }
    if (inCode || RULE.matcher(piece).matches() || TABLE_SEPARATOR.matcher(piece).matches()) {
      return "";
    }
    String s = LINE_MARKERS.matcher(piece).replaceFirst("");
    s = IMAGE_OR_LINK.matcher(s).replaceAll("$1");
    s = HTML_TAG.matcher(s).replaceAll(" ");
    if (s.indexOf('|') >= 0 && s.strip().startsWith("|")) {
      s = s.strip().replaceAll("^\\||\\|$", "").replace("|", ",");
    }
    s = OPENING_MARKS.matcher(s).replaceAll("");
    s = CLOSING_MARKS.matcher(s).replaceAll("");
    s = LONE_MARKS.matcher(s).replaceAll("");
    s = WHITESPACE.matcher(s).replaceAll(" ").strip();
    return SPEAKABLE.matcher(s).find() ? s : "";
  }
}
