package io.parley.api.accounts;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.text.Normalizer;
import java.util.Locale;

/**
 * The one rule by which two e-mail addresses are the same account: sign-up, login, e-mail change
 * and the operator's admin command all compare {@link #key} values, and the database holds the key
 * under a unique index ({@code users.email_key}), so no two accounts can hold addresses that differ
 * only in case or Unicode form.
 *
 * <p>The key is the address stripped of surrounding white space, in Unicode compatibility form
 * (NFKC: full-width letters, ligatures and the Kelvin sign become their plain letters) and
 * case-folded (upper-cased then lower-cased, so that {@code ß} and {@code SS} meet), then NFKC
 * again because folding can leave a denormalised sequence. It conflates more than mail servers do
 * on purpose: a look-alike of a registered address is refused as taken, never a second account.
 */
public final class EmailAddress {

  /** RFC 5321 section 4.5.3.1.3: a path is at most 256 octets, so an address at most 254. */
  public static final int MAX_LENGTH = 254;

  private EmailAddress() {}

  /** The comparison key of {@code raw}; fails with {@code INVALID} when it is not an address. */
  public static String key(String raw) {
    String key = fold(checked(raw));
    int at = key.lastIndexOf('@');
    if (at <= 0 || at == key.length() - 1 || key.indexOf('@') != at) {
      throw invalid("an e-mail address has one @ with text on both sides");
    }
    return key;
  }

  /**
   * The address as the user typed it, stripped: what is stored and shown. Fails like {@link #key}
   * so that nothing is stored whose key could not be computed.
   */
  public static String display(String raw) {
    key(raw);
    return raw.strip();
  }

  private static String checked(String raw) {
    if (raw == null) {
      throw invalid("an e-mail address is required");
    }
    String s = raw.strip();
    if (s.isEmpty() || s.length() > MAX_LENGTH) {
      throw invalid("an e-mail address has 1 to " + MAX_LENGTH + " characters");
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isWhitespace(c) || Character.isISOControl(c) || Character.getType(c) == Character.FORMAT) {
        throw invalid("an e-mail address has no spaces, control or invisible formatting characters");
      }
    }
    return s;
  }

  private static String fold(String s) {
    String n = Normalizer.normalize(s, Normalizer.Form.NFKC);
    n = n.toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT);
    return Normalizer.normalize(n, Normalizer.Form.NFKC);
  }

  private static ParleyException invalid(String message) {
    return new ParleyException(Reason.INVALID, message);
  }
}
