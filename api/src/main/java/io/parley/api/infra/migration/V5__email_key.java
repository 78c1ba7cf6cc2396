package io.parley.api.infra.migration;

import io.parley.api.accounts.EmailAddress;
import io.parley.core.ParleyException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds {@code users.email_key}, the {@link EmailAddress#key} of each address under a unique index,
 * in place of the old index on {@code lower(email)}: the key is computed in Java because it is the
 * one rule sign-up, login and e-mail change use, and PostgreSQL's {@code lower} differs from it
 * (collation-dependent, no compatibility normalisation).
 *
 * <p>Accounts whose addresses already share a key (only possible through a Unicode variant, which
 * the old index let through) keep the oldest one on the address; each later one gets a key that no
 * login can produce, so it can no longer sign in by that address, and an {@code
 * user.email_key_conflict} audit entry names it for the operator. Its data is untouched.
 *
 * <p>Flyway derives the version from the class name, hence the underscores.
 */
public final class V5__email_key extends BaseJavaMigration {

  private static final Logger LOG = LoggerFactory.getLogger(V5__email_key.class);

  @Override
  public void migrate(Context context) throws Exception {
    Connection c = context.getConnection();
    try (Statement s = c.createStatement()) {
      s.execute("ALTER TABLE users ADD COLUMN email_key text");
    }
    Set<String> taken = new HashSet<>();
    int conflicts = 0;
    try (Statement s = c.createStatement();
         ResultSet rows = s.executeQuery("SELECT id, email FROM users ORDER BY created_at, id");
         PreparedStatement set = c.prepareStatement("UPDATE users SET email_key = ? WHERE id = ?");
         PreparedStatement audit = c.prepareStatement("INSERT INTO audit_log (action, subject_id, details) "
             + "VALUES ('user.email_key_conflict', ?, jsonb_build_object('email', ?::text))")) {
      while (rows.next()) {
        UUID id = rows.getObject(1, UUID.class);
        String email = rows.getString(2);
        String key = keyOrNull(email);
        if (key == null || !taken.add(key)) {
          // '#' cannot occur in the domain part of an address, so no login ever produces this key.
          key = (key == null ? "invalid" : key) + "#" + id;
          conflicts++;
          audit.setObject(1, id);
          audit.setString(2, email);
          audit.addBatch();
          LOG.warn("user {}: e-mail {} is invalid or the same address as an older account's; this account can no "
              + "longer sign in with it (audit action user.email_key_conflict)", id, email);
        }
        set.setString(1, key);
        set.setObject(2, id);
        set.addBatch();
      }
      set.executeBatch();
      audit.executeBatch();
    }
    try (Statement s = c.createStatement()) {
      s.execute("ALTER TABLE users ALTER COLUMN email_key SET NOT NULL");
      s.execute("DROP INDEX users_email_key");
      s.execute("CREATE UNIQUE INDEX users_email_key ON users (email_key)");
    }
    if (conflicts > 0) {
      LOG.warn("{} account(s) lost their e-mail sign-in to an older account with the same address", conflicts);
    }
  }

  private static String keyOrNull(String email) {
    try {
      return EmailAddress.key(email);
    } catch (ParleyException e) {
      return null;
    }
  }
}
