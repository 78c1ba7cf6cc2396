package io.parley.api;

import io.parley.api.accounts.EmailAddress;
import io.parley.api.infra.Database;
import io.parley.api.infra.EmbeddedPostgresService;
import io.parley.api.infra.HomeLock;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.core.config.ParleyConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * {@code ./parley admin grant|revoke|list}: the only way an account becomes an admin. An operator
 * with access to the node's database names the account (by e-mail address or user id); the role is
 * written to that account, so it follows the account and never an address, and the grant is
 * audited ({@code admin.granted} / {@code admin.revoked}, actor empty: the operator).
 *
 * <p>It reaches the same database as the node: {@code PARLEY_PG_URL} when set; otherwise the
 * embedded PostgreSQL under {@code PARLEY_HOME}, the running node's (through the port it wrote
 * there) or, when no node runs, one it starts and stops itself. Blocking JDBC throughout: this is
 * a command, not a request handler.
 */
public final class AdminCommand {

  /** Exit codes: done; the account or admin was not found; bad usage or configuration. */
  static final int OK = 0;
  static final int NOT_FOUND = 1;
  static final int USAGE = 2;

  private static final String USAGE_TEXT = """
      Usage: ./parley admin COMMAND
        grant ACCOUNT    make the account an admin (ACCOUNT: its e-mail address or user id)
        revoke ACCOUNT   take the admin role back (the account becomes an expert if it has a listing, else a user)
        list             the admin accounts
      The account must be registered. Check the id, name and sign-up time printed: the role goes to
      that account, whatever address it holds later.""";

  /** What a command printed and its exit code. */
  public record Result(int code, String output) {}

  private final PrintStream out;

  private AdminCommand(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) {
    int code;
    try {
      ParleyConfig config = ParleyConfig.fromEnvironment();
      LogSetup.configureForCommand();
      code = new AdminCommand(System.out).execute(config, List.of(args));
    } catch (ParleyException e) {
      System.err.println("parley admin: " + e.getMessage());
      code = exitCode(e);
    }
    LogSetup.flush();
    System.exit(code);
  }

  /** Runs one command against the database of {@code config}, collecting what it prints. */
  public static Result run(ParleyConfig config, List<String> args) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
    int code;
    try {
      code = new AdminCommand(out).execute(config, args);
    } catch (ParleyException e) {
      out.println("parley admin: " + e.getMessage());
      code = exitCode(e);
    }
    return new Result(code, buffer.toString(StandardCharsets.UTF_8));
  }

  private static int exitCode(ParleyException e) {
    return e.reason() == Reason.CONFIG || e.reason() == Reason.INVALID ? USAGE : NOT_FOUND;
  }

  private int execute(ParleyConfig config, List<String> args) {
    if (args.isEmpty() || (!args.get(0).equals("list") && args.size() != 2) || (args.get(0).equals("list")
        && args.size() != 1)) {
      out.println(USAGE_TEXT);
      return USAGE;
    }
    String verb = args.get(0);
    if (!List.of("grant", "revoke", "list").contains(verb)) {
      out.println(USAGE_TEXT);
      return USAGE;
    }
    return withDatabase(config, url -> {
      try (Connection c = Database.connect(url)) {
        return switch (verb) {
          case "grant" -> grant(c, args.get(1));
          case "revoke" -> revoke(c, args.get(1));
          default -> list(c);
        };
      }
    });
  }

  private int grant(Connection c, String account) throws SQLException {
    c.setAutoCommit(false);
    Optional<Account> found = lock(c, account);
    if (found.isEmpty()) {
      c.rollback();
      out.println("no registered account " + account + ": the owner signs up first, then you grant");
      return NOT_FOUND;
    }
    Account a = found.get();
    if (a.role().equals("admin")) {
      c.rollback();
      out.println("already an admin: " + a);
      return OK;
    }
    setRole(c, a.id(), "admin");
    audit(c, "admin.granted", a);
    c.commit();
    out.println("granted admin to " + a + " before");
    out.println("it applies at the account's next sign-in or token refresh; admin endpoints check it at once");
    return OK;
  }

  private int revoke(Connection c, String account) throws SQLException {
    c.setAutoCommit(false);
    Optional<Account> found = lock(c, account);
    if (found.isEmpty() || !found.get().role().equals("admin")) {
      c.rollback();
      out.println(found.isEmpty() ? "no registered account " + account : "not an admin: " + found.get());
      return NOT_FOUND;
    }
    Account a = found.get();
    String role;
    try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM experts WHERE user_id = ? AND active")) {
      s.setObject(1, a.id());
      try (ResultSet r = s.executeQuery()) {
        role = r.next() ? "expert" : "user";
      }
    }
    setRole(c, a.id(), role);
    audit(c, "admin.revoked", a);
    c.commit();
    out.println("revoked admin from " + a + " before; role now " + role);
    return OK;
  }

  private int list(Connection c) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "SELECT id, email, name, role, created_at FROM users WHERE role = 'admin' ORDER BY created_at")) {
      try (ResultSet r = s.executeQuery()) {
        int n = 0;
        while (r.next()) {
          out.println(account(r));
          n++;
        }
        out.println(n + " admin(s)");
      }
    }
    return OK;
  }

  /** The account named by id or by address key, locked for the rest of the transaction. */
  private static Optional<Account> lock(Connection c, String account) throws SQLException {
    UUID id = uuid(account);
    String sql = "SELECT id, email, name, role, created_at FROM users WHERE "
        + (id != null ? "id = ?" : "email_key = ?") + " FOR UPDATE";
    try (PreparedStatement s = c.prepareStatement(sql)) {
      if (id != null) {
        s.setObject(1, id);
      } else {
        s.setString(1, EmailAddress.key(account));
      }
      try (ResultSet r = s.executeQuery()) {
        return r.next() ? Optional.of(account(r)) : Optional.empty();
      }
    }
  }

  private static void setRole(Connection c, UUID id, String role) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("UPDATE users SET role = ?, updated_at = now() WHERE id = ?")) {
      s.setString(1, role);
      s.setObject(2, id);
      s.executeUpdate();
    }
  }

  private static void audit(Connection c, String action, Account a) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("INSERT INTO audit_log (action, subject_id, details) "
        + "VALUES (?, ?, jsonb_build_object('email', ?::text, 'by', 'operator', 'os_user', ?::text))")) {
      s.setString(1, action);
      s.setObject(2, a.id());
      s.setString(3, a.email());
      s.setString(4, System.getProperty("user.name"));
      s.executeUpdate();
    }
  }

  private static Account account(ResultSet r) throws SQLException {
    return new Account(r.getObject("id", UUID.class), r.getString("email"), r.getString("name"), r.getString("role"),
        r.getObject("created_at", OffsetDateTime.class).toString());
  }

  private static UUID uuid(String s) {
    try {
      return s.length() == 36 ? UUID.fromString(s) : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private record Account(UUID id, String email, String name, String role, String createdAt) {
    @Override
    public String toString() {
      return id + " <" + email + "> \"" + name + "\", signed up " + createdAt + ", role " + role;
    }
  }

  @FunctionalInterface
  private interface Job {
    int run(URI url) throws SQLException;
  }

  /**
   * Runs {@code job} on the node's database: the external one, the running node's embedded one,
   * or an embedded one started for the job (under the home lock, so no node starts meanwhile).
   */
  private static int withDatabase(ParleyConfig config, Job job) {
    Optional<URI> external = config.storage().pgUrl();
    try {
      if (external.isPresent()) {
        Database.migrate(external.get());
        return job.run(external.get());
      }
      HomeLock lock;
      try {
        lock = HomeLock.acquire(config.home());
      } catch (ParleyException held) {
        if (held.reason() != Reason.CONFLICT) {
          throw held;
        }
        URI running = runningEmbedded(config.home());
        Database.migrate(running);
        return job.run(running);
      }
      try (lock; EmbeddedPostgresService pg = EmbeddedPostgresService.start(config.home(),
          config.storage().pgEmbeddedPort())) {
        Database.migrate(pg.url());
        return job.run(pg.url());
      }
    } catch (SQLException | IOException e) {
      throw new ParleyException(Reason.UNAVAILABLE, "database: " + e.getMessage(), e);
    }
  }

  /** The embedded PostgreSQL of the node that holds the home, from the port it wrote at start. */
  private static URI runningEmbedded(Path home) throws IOException {
    Path portFile = home.resolve("postgres.port");
    if (!Files.exists(portFile)) {
      throw new ParleyException(Reason.UNAVAILABLE, "a node holds PARLEY_HOME=" + home
          + " but has not started its PostgreSQL yet; try again in a moment");
    }
    return EmbeddedPostgresService.urlOf(Integer.parseInt(Files.readString(portFile).trim()));
  }
}
