package io.parley.api.infra;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.TestNode;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * The upgrade to {@code users.email_key} on a database written by the previous version, whose
 * index on {@code lower(email)} let a full-width twin of an address through: the older account keeps
 * the address, the twin can no longer sign in by it and is named in the audit log, nothing is lost.
 */
class EmailKeyMigrationTest {

  @Test
  void twinsFromTheOldIndexAreResolvedInFavourOfTheOldestAccount() throws Exception {
    Path home = TestNode.tempHome();
    try (EmbeddedPostgresService pg = EmbeddedPostgresService.start(home, 0)) {
      URI url = pg.url();
      String jdbc = "jdbc:postgresql://127.0.0.1:" + pg.port() + "/postgres";
      Flyway.configure().dataSource(jdbc, "postgres", null).locations("classpath:db/migration").target("4").load()
          .migrate();
      UUID original = UUID.randomUUID();
      UUID twin = UUID.randomUUID();
      UUID other = UUID.randomUUID();
      try (Connection c = Database.connect(url)) {
        insert(c, original, "Admin@Probe.Test", OffsetDateTime.now().minusDays(2));
        insert(c, twin, "\uFF41dmin@probe.test", OffsetDateTime.now().minusDays(1));
        insert(c, other, "Someone@Example.Org", OffsetDateTime.now());
      }

      Database.migrate(url);

      Map<UUID, String> keys = new HashMap<>();
      try (Connection c = Database.connect(url); Statement s = c.createStatement();
           ResultSet r = s.executeQuery("SELECT id, email, email_key FROM users")) {
        while (r.next()) {
          keys.put(r.getObject(1, UUID.class), r.getString(3));
        }
        assertThat(keys).hasSize(3);
        assertThat(keys.get(original)).isEqualTo("admin@probe.test");
        assertThat(keys.get(other)).isEqualTo("someone@example.org");
        assertThat(keys.get(twin)).isEqualTo("admin@probe.test#" + twin);
        try (ResultSet audit = s.executeQuery(
            "SELECT subject_id, details->>'email' FROM audit_log WHERE action = 'user.email_key_conflict'")) {
          assertThat(audit.next()).isTrue();
          assertThat(audit.getObject(1, UUID.class)).isEqualTo(twin);
          assertThat(audit.getString(2)).isEqualTo("\uFF41dmin@probe.test");
          assertThat(audit.next()).isFalse();
        }
        // The unique index now holds the key: a third spelling cannot be inserted.
        try (PreparedStatement dup = c.prepareStatement("INSERT INTO users (id, email, email_key, password_hash, "
            + "name) VALUES (?, 'ADMIN@probe.test', 'admin@probe.test', 'x', 'Dup')")) {
          dup.setObject(1, UUID.randomUUID());
          org.assertj.core.api.Assertions.assertThatThrownBy(dup::executeUpdate)
              .hasMessageContaining("users_email_key");
        }
      }
    } finally {
      TestNode.deleteTree(home);
    }
  }

  private static void insert(Connection c, UUID id, String email, OffsetDateTime created) throws Exception {
    try (PreparedStatement s = c.prepareStatement(
        "INSERT INTO users (id, email, password_hash, name, created_at) VALUES (?, ?, 'x', 'n', ?)")) {
      s.setObject(1, id);
      s.setString(2, email);
      s.setObject(3, created);
      s.executeUpdate();
    }
  }
}
