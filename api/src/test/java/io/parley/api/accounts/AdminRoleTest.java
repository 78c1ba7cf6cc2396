package io.parley.api.accounts;

import static io.parley.api.support.ApiAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.api.AdminCommand;
import io.parley.api.support.Api;
import io.parley.api.support.JwtForge;
import io.parley.api.support.TestNode;
import io.parley.core.ParleyException;
import io.parley.core.config.ParleyConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The admin role is conferred by an operator ({@code ./parley admin grant}) on an account, never by
 * an e-mail address: not at sign-up, not by changing to an address, not at login, on any node of a
 * cluster. Two nodes share PostgreSQL and Redis: what one node's operator grants, the other honours;
 * what a user does on either confers nothing.
 */
class AdminRoleTest {

  private static final String AUDIT_LOG = "/api/v1/admin/audit-log";
  private static final String ME = "/api/v1/users/me";
  private static final String PASSWORD = "correct-horse-battery";

  private static TestNode one;
  private static TestNode two;
  private static Map<String, String> secondSettings;

  @BeforeAll
  static void start() {
    Map<String, String> shared = Map.of("PARLEY_JWT_SECRET", "admin-role-test-jwt-secret-0123456789abcdef");
    one = TestNode.start(shared);
    secondSettings = one.sameCluster(shared);
    two = TestNode.start(secondSettings);
  }

  @AfterAll
  static void stop() {
    if (two != null) {
      two.close();
    }
    if (one != null) {
      one.close();
    }
  }

  /** The probe of the security report, step by step, now with the role it should get. */
  @Test
  void changingToAnAdminLookingAddressConfersNothing() {
    String target = "admin-" + UUID.randomUUID() + "@probe.test";
    Api api = one.api();
    String x = address("x");
    JsonObject signedUp = api.signup(x, PASSWORD, "X");
    assertThat(role(signedUp)).isEqualTo("user");

    Api.Res changed = api.put(ME, signedUp.getString("access_token"),
        new JsonObject().put("email", target.toUpperCase(java.util.Locale.ROOT)));
    assertThat(changed.status()).as(changed.body()).isEqualTo(200);
    assertThat(changed.json().getString("role")).isEqualTo("user");

    for (TestNode node : List.of(one, two)) {
      JsonObject login = node.api().login(target, PASSWORD);
      assertThat(role(login)).as("login on %s", node.baseUrl()).isEqualTo("user");
      assertError(node.api().get(AUDIT_LOG, login.getString("access_token")), 403, "forbidden");
    }
  }

  @Test
  void aNodeGivenTheRetiredAdminListDoesNotStart() {
    String listed = address("listed");
    assertThatThrownBy(() -> TestNode.start(Map.of("PARLEY_ADMIN_EMAILS", listed)))
        .isInstanceOf(ParleyException.class)
        .hasMessageContaining("./parley admin grant EMAIL");
    // A second node of the running cluster, same database, same settings plus the list: refused too.
    Map<String, String> withList = new HashMap<>(secondSettings);
    withList.put("PARLEY_ADMIN_EMAILS", listed);
    assertThatThrownBy(() -> TestNode.start(withList)).isInstanceOf(ParleyException.class)
        .hasMessageStartingWith("PARLEY_ADMIN_EMAILS: no longer read");
  }

  @Test
  void theRoleGoesToTheAccountTheOperatorNamesAndStaysWithIt() {
    String owner = address("owner");
    String ownerId = one.api().signup(owner, PASSWORD, "Owner").getString("access_token");
    ownerId = JwtForge.payload(ownerId).getString("sub");
    JsonObject attacker = two.api().signup(address("attacker"), PASSWORD, "Attacker");
    String attackerToken = attacker.getString("access_token");

    AdminCommand.Result granted = one.admin("grant", owner.toUpperCase(java.util.Locale.ROOT));
    assertThat(granted.code()).as(granted.output()).isZero();
    assertThat(granted.output()).contains("granted admin to " + ownerId);

    // The grant holds on the other node (same database), at the owner's next sign-in.
    JsonObject ownerLogin = two.api().login(owner, PASSWORD);
    assertThat(role(ownerLogin)).isEqualTo("admin");
    Api.Res log = two.api().get(AUDIT_LOG + "?user_id=" + ownerId, ownerLogin.getString("access_token"));
    assertThat(log.status()).as(log.body()).isEqualTo(200);
    // Newest first: the sign-in, then the grant before it.
    JsonArray items = log.json().getJsonArray("items");
    assertThat(items.getJsonObject(0).getString("action")).isEqualTo("auth.login");
    JsonObject grant = items.getJsonObject(1);
    assertThat(grant.getString("action")).isEqualTo("admin.granted");
    assertThat(grant.getString("subject_id")).isEqualTo(ownerId);
    assertThat(grant.getValue("actor_id")).isNull();
    assertThat(grant.getJsonObject("details").getString("by")).isEqualTo("operator");

    // Nobody else can hold the owner's address in any case or Unicode form, on either node.
    String fullWidth = fullWidth(owner);
    for (String variant : List.of(owner, owner.toUpperCase(java.util.Locale.ROOT), fullWidth)) {
      for (TestNode node : List.of(one, two)) {
        Api.Res signup = node.api().post("/api/v1/auth/signup", null,
            new JsonObject().put("email", variant).put("password", PASSWORD).put("name", "Squatter"));
        assertThat(signup.status()).as("sign-up as %s: %s", variant, signup.body()).isIn(400, 409);
        Api.Res change = node.api().put(ME, attackerToken, new JsonObject().put("email", variant));
        assertThat(change.status()).as("change to %s: %s", variant, change.body()).isIn(400, 409);
      }
    }

    // The owner moves to another address; whoever takes the old one gets the address, not the role.
    String ownerToken = ownerLogin.getString("access_token");
    String moved = address("owner-moved");
    assertThat(one.api().put(ME, ownerToken, new JsonObject().put("email", moved)).status()).isEqualTo(200);
    Api.Res taken = two.api().put(ME, attackerToken, new JsonObject().put("email", owner));
    assertThat(taken.status()).as(taken.body()).isEqualTo(200);
    JsonObject attackerLogin = one.api().login(owner, PASSWORD);
    assertThat(role(attackerLogin)).isEqualTo("user");
    assertError(one.api().get(AUDIT_LOG, attackerLogin.getString("access_token")), 403, "forbidden");
    assertThat(role(two.api().login(moved, PASSWORD))).isEqualTo("admin");
  }

  @Test
  void revokingClosesTheAdminRoutesAtOnce() {
    String email = address("revoked");
    one.api().signup(email, PASSWORD, "Soon Not Admin");
    one.grantAdmin(email);
    String token = two.api().login(email, PASSWORD).getString("access_token");
    assertThat(two.api().get(AUDIT_LOG, token).status()).isEqualTo(200);
    assertThat(one.admin("list").output()).contains(email);

    AdminCommand.Result revoked = two.admin("revoke", email);
    assertThat(revoked.code()).as(revoked.output()).isZero();
    assertThat(revoked.output()).contains("role now user");

    // The token still says admin for its remaining minutes; the routes ask the database.
    assertThat(JwtForge.payload(token).getString("role")).isEqualTo("admin");
    for (TestNode node : List.of(one, two)) {
      assertError(node.api().get(AUDIT_LOG, token), 403, "forbidden");
    }
    assertThat(role(one.api().login(email, PASSWORD))).isEqualTo("user");
    assertThat(one.admin("list").output()).doesNotContain(email);
    assertThat(one.admin("revoke", email).code()).isEqualTo(1);
  }

  @Test
  void theCommandRefusesWhatItCannotDo() {
    AdminCommand.Result unknown = one.admin("grant", address("nobody"));
    assertThat(unknown.code()).isEqualTo(1);
    assertThat(unknown.output()).contains("no registered account");
    assertThat(one.admin("grant", "not an address").code()).isEqualTo(2);
    assertThat(one.admin("promote", "x@example.org").code()).isEqualTo(2);
    assertThat(one.admin().code()).isEqualTo(2);
    String email = address("twice");
    one.api().signup(email, PASSWORD, "Twice");
    assertThat(one.admin("grant", email).code()).isZero();
    AdminCommand.Result again = one.admin("grant", email);
    assertThat(again.code()).isZero();
    assertThat(again.output()).contains("already an admin");
  }

  @Test
  void emailChangesAreAuditedWithBothAddresses() {
    String admin = address("auditor");
    one.api().signup(admin, PASSWORD, "Auditor");
    one.grantAdmin(admin);
    String adminToken = one.api().login(admin, PASSWORD).getString("access_token");

    String before = address("before");
    JsonObject user = two.api().signup(before, PASSWORD, "Mover");
    String token = user.getString("access_token");
    String userId = JwtForge.payload(token).getString("sub");
    String after = address("after");
    assertThat(two.api().put(ME, token, new JsonObject().put("name", "Renamed")).status()).isEqualTo(200);
    assertThat(two.api().put(ME, token, new JsonObject().put("email", after)).status()).isEqualTo(200);

    List<JsonObject> changes = new ArrayList<>();
    one.api().get(AUDIT_LOG + "?user_id=" + userId, adminToken).json().getJsonArray("items")
        .forEach(o -> {
          if ("user.email_changed".equals(((JsonObject) o).getString("action"))) {
            changes.add((JsonObject) o);
          }
        });
    assertThat(changes).hasSize(1);
    JsonObject entry = changes.get(0);
    assertThat(entry.getString("actor_id")).isEqualTo(userId);
    assertThat(entry.getJsonObject("details").getString("from")).isEqualTo(before);
    assertThat(entry.getJsonObject("details").getString("to")).isEqualTo(after);
    // The old address no longer signs in; the new one does, in any case.
    assertError(one.api().post("/api/v1/auth/login", null,
        new JsonObject().put("email", before).put("password", PASSWORD)), 401, "unauthorized");
    assertThat(role(one.api().login(after.toUpperCase(java.util.Locale.ROOT), PASSWORD))).isEqualTo("user");
  }

  /** Sign-up, login and change compare addresses the same way. */
  @Test
  void oneNormalisationForSignupLoginAndChange() {
    String mixed = "Mixed.Case-" + UUID.randomUUID() + "@Example.Test";
    String lower = mixed.toLowerCase(java.util.Locale.ROOT);
    JsonObject user = one.api().signup(mixed, PASSWORD, "Mixed");
    assertThat(one.api().get(ME, user.getString("access_token")).json().getString("email")).isEqualTo(mixed);
    for (String form : List.of(mixed, lower, mixed.toUpperCase(java.util.Locale.ROOT), fullWidth(lower))) {
      assertThat(two.api().post("/api/v1/auth/login", null,
          new JsonObject().put("email", form).put("password", PASSWORD)).status()).as(form).isEqualTo(200);
    }
    // Changing to another spelling of one's own address is allowed (and shown as typed).
    Api.Res respelled = two.api().put(ME, user.getString("access_token"), new JsonObject().put("email", lower));
    assertThat(respelled.status()).as(respelled.body()).isEqualTo(200);
    assertThat(respelled.json().getString("email")).isEqualTo(lower);
  }

  /** Many sign-ups racing for one address in different spellings: exactly one account gets it. */
  @Test
  void aRaceForOneAddressHasOneWinner() throws Exception {
    String base = "raced-" + UUID.randomUUID() + "@probe.test";
    List<String> spellings = List.of(base, base.toUpperCase(java.util.Locale.ROOT), fullWidth(base),
        base.replace("raced", "RACED"), "  " + base, base.replace("probe", "PROBE"));
    ExecutorService pool = Executors.newFixedThreadPool(spellings.size());
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int i = 0; i < spellings.size(); i++) {
        String spelling = spellings.get(i);
        Api api = (i % 2 == 0 ? one : two).api();
        Callable<Integer> signup = () -> api.post("/api/v1/auth/signup", null,
            new JsonObject().put("email", spelling).put("password", PASSWORD).put("name", "Racer")).status();
        results.add(pool.submit(signup));
      }
      List<Integer> statuses = new ArrayList<>();
      for (Future<Integer> f : results) {
        statuses.add(f.get());
      }
      assertThat(statuses).filteredOn(s -> s == 201).hasSize(1);
      assertThat(statuses).filteredOn(s -> s != 201).allMatch(s -> s == 409 || s == 400);
    } finally {
      pool.shutdownNow();
    }
  }

  /** With no node running on the home, the command starts the embedded PostgreSQL itself. */
  @Test
  void theCommandWorksWithTheNodeStopped() {
    Path home = TestNode.tempHome();
    String email = address("offline");
    try {
      try (TestNode node = TestNode.startOn(home, Map.of())) {
        node.api().signup(email, PASSWORD, "Offline Grant");
      }
      ParleyConfig config = ParleyConfig.of(TestNode.settings(home, Map.of()));
      AdminCommand.Result granted = AdminCommand.run(config, List.of("grant", email));
      assertThat(granted.code()).as(granted.output()).isZero();
      try (TestNode node = TestNode.startOn(home, Map.of())) {
        assertThat(role(node.api().login(email, PASSWORD))).isEqualTo("admin");
      }
    } finally {
      TestNode.deleteTree(home);
    }
  }

  private static String role(JsonObject tokens) {
    return JwtForge.payload(tokens.getString("access_token")).getString("role");
  }

  private static String address(String who) {
    return who + "-" + UUID.randomUUID() + "@example.test";
  }

  /** The address with its ASCII letters and digits in their full-width forms (U+FF01..). */
  private static String fullWidth(String address) {
    StringBuilder b = new StringBuilder();
    for (char c : address.toCharArray()) {
      b.append(Character.isLetterOrDigit(c) && c < 128 ? (char) (c - 0x21 + 0xFF01) : c);
    }
    return b.toString();
  }
}
