package io.parley.inference.stt;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.inference.DefaultModel;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The languages Whisper knows, by their codes (ISO 639-1 where one exists; {@code haw}, {@code yue}
 * and Whisper's {@code jw} for Javanese otherwise), in the order of whisper.cpp v1.7.1's
 * {@code g_lang}, so a code's index is whisper.cpp's language id. How a request names a language
 * ({@link #parse}), whether a model can take it ({@link #requireSupported}), and its English name for
 * a prompt ({@link #englishName}).
 *
 * @see <a href="https://github.com/ggerganov/whisper.cpp/blob/v1.7.1/src/whisper.cpp">whisper.cpp g_lang</a>
 */
public final class Languages {

  /** Whisper's language codes, by language id. */
  public static final List<String> CODES = List.of(("en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he"
      + " uk el ms cs ro da hu ta no th ur hr bg lt la mi ml cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs"
      + " kk sq sw gl mr pa si km sn yo so af oc ka be tg sd gu am yi lo uz fo ht ps tk nn mt sa lb my bo tl mg as tt"
      + " haw ln ha ba jw su yue").split(" "));

  /** What a request sends (or the node sets) for "detect the language". */
  public static final String AUTO = "auto";

  /** Reported when Whisper detected the language but Parley could not read which it was. */
  public static final String UNDETERMINED = "und";

  private Languages() {}

  /** Whether {@code code} (lower case) is one of Whisper's languages. */
  public static boolean known(String code) {
    return CODES.contains(code);
  }

  /**
   * A language as a client or the configuration names it: null, blank or {@code auto} mean
   * detection (empty); a code is matched case-insensitively and returned in lower case.
   *
   * @throws ParleyException INVALID naming {@code param} and the code when Whisper does not know it
   */
  public static Optional<String> parse(String value, String param) {
    if (value == null || value.isBlank() || value.strip().equalsIgnoreCase(AUTO)) {
      return Optional.empty();
    }
    String code = value.strip().toLowerCase(Locale.ROOT);
    if (!known(code)) {
      throw new ParleyException(Reason.INVALID, param + ": unknown language '" + value.strip()
          + "': use an ISO 639-1 code Whisper knows (en, es, fr, de, hi, ar, zh, ja, ko, ...) or auto");
    }
    return Optional.of(code);
  }

  /**
   * Refuses a language other than English for an English-only model ({@code *.en}): it would
   * transcribe the speech as English words, garbage rather than an error.
   *
   * @throws ParleyException INVALID naming the model and the fix
   */
  public static void requireSupported(Optional<String> language, boolean multilingual, String model) {
    if (!multilingual && language.isPresent() && !language.get().equals("en")) {
      throw new ParleyException(Reason.INVALID, "language '" + language.get() + "' needs a multilingual Whisper"
          + " model, and " + model + " is English-only: set PARLEY_WHISPER_MODEL to a multilingual one"
          + " (" + DefaultModel.WHISPER.fetchCommand() + ")");
    }
  }

  /** The English name of {@code code} ("es" -> "Spanish"), for prompts; the code itself when unknown. */
  public static String englishName(String code) {
    String tag = code.equals("jw") ? "jv" : code; // Whisper's code for Javanese predates ISO's
    String name = Locale.forLanguageTag(tag).getDisplayLanguage(Locale.ENGLISH);
    return name.isEmpty() || name.equalsIgnoreCase(tag) ? code : name;
  }
}
