package io.parley.inference.tts;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A voice a {@link TextToSpeech} engine offers.
 *
 * @param name how clients ask for it ({@code kevin16}, or an eSpeak NG language code such as {@code es})
 * @param languages the <a href="https://www.rfc-editor.org/rfc/rfc5646">BCP 47</a> tags it speaks,
 *     lower case, the main one first ({@code en-us}, {@code en}; {@code cmn}, {@code zh})
 * @param description a human-readable name ({@code Spanish (Spain)})
 */
public record TtsVoice(String name, List<String> languages, String description) {
  public TtsVoice {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(description, "description");
    if (languages.isEmpty()) {
      throw new IllegalArgumentException("a voice speaks at least one language: " + name);
    }
    languages = languages.stream().map(TtsVoice::tag).toList();
  }

  /** The main language tag. */
  public String language() {
    return languages.getFirst();
  }

  /** Whether it speaks {@code tag}: exactly, or {@code tag}'s primary language ({@code es-mx} -> {@code es}). */
  boolean speaks(String tag, boolean exactly) {
    String t = tag(tag);
    if (exactly) {
      return languages.contains(t);
    }
    String primary = primary(t);
    return languages.stream().anyMatch(l -> primary(l).equals(primary));
  }

  /** A language tag in the one spelling compared here: lower case, hyphens ({@code pt_BR} -> {@code pt-br}). */
  static String tag(String tag) {
    return tag.strip().replace('_', '-').toLowerCase(Locale.ROOT);
  }

  private static String primary(String tag) {
    int dash = tag.indexOf('-');
    return dash < 0 ? tag : tag.substring(0, dash);
  }
}
