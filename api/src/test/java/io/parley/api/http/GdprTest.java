package io.parley.api.http;

import static io.parley.api.support.ErrorShape.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * GDPR: the export (Art. 15/20) holds everything stored about the caller and no secrets; deletion
 * (Art. 17) removes every row of the user, ends their sessions, keeps an audit entry and leaves
 * other users alone.
 */
class GdprTest {

  private static final String[] USER_TABLES = {"users", "refresh_tokens", "user_profiles", "experts"};

  private final TestNode node = TestNode.shared();
  private final Api api = node.api();

  /** A user with several sessions, a failed login, a profile and an expert listing. */
  private record Subject(UUID id, String email, String password, String accessToken, String refreshToken,
                         List<String> allRefreshTokens, String specialization) {}

  @Test
  void exportHoldsEverythingAndNoSecrets() {
    Subject a = richUser("Lyon");
    Subject b = richUser("Porto");

    Api.Res r = api.get("/api/v1/users/me/export", a.accessToken());
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.header("Content-Type")).startsWith("application/json");
    JsonObject export = r.json();

    JsonObject user = export.getJsonObject("user");
    assertThat(user.getString("id")).isEqualTo(a.id().toString());
    assertThat(user.getString("email")).isEqualTo(a.email());
    assertThat(user.getString("name")).isEqualTo("Subject Lyon");
    assertThat(user.getString("role")).isEqualTo("expert");

    JsonObject profile = export.getJsonObject("profile");
    assertThat(profile.getString("user_id")).isEqualTo(a.id().toString());
    assertThat(profile.getString("city")).isEqualTo("Lyon");
    assertThat(profile.getDouble("height_cm")).isEqualTo(172.5);
    assertThat(profile.getDouble("weight_kg")).isEqualTo(68.0);
    assertThat(profile.getString("dob")).isEqualTo("1990-04-01");
    assertThat(profile.getJsonArray("goals")).containsExactly("run a 10k", "sleep 8 hours");
    assertThat(profile.getJsonArray("allergies")).containsExactly("peanuts");
    assertThat(profile.getString("dietary_pref")).isEqualTo("vegetarian");
    assertThat(profile.getString("activity_level")).isEqualTo("moderate");

    JsonObject expert = export.getJsonObject("expert");
    assertThat(expert.getString("user_id")).isEqualTo(a.id().toString());
    assertThat(expert.getString("specialization")).isEqualTo(a.specialization());
    assertThat(expert.getString("display_name")).isEqualTo("Dr Lyon");
    assertThat(expert.getInteger("rate_cents")).isEqualTo(4500);
    assertThat(expert.getJsonArray("expertise_tags")).containsExactly("sleep", "sport");
    assertThat(expert.getJsonArray("availability").getJsonObject(0).getString("start")).isEqualTo("09:00");

    // Sessions: signup, login, and the login's rotated successor; metadata only.
    JsonArray sessions = export.getJsonArray("sessions");
    assertThat(sessions).hasSize(3);
    Set<String> families = new HashSet<>();
    int rotated = 0;
    for (int i = 0; i < sessions.size(); i++) {
      JsonObject s = sessions.getJsonObject(i);
      assertThat(s.fieldNames()).contains("id", "family_id", "created_at", "expires_at", "rotated_at", "revoked_at",
          "user_agent", "ip").doesNotContain("token_hash");
      assertThat(s.getString("ip")).isEqualTo("127.0.0.1");
      families.add(s.getString("family_id"));
      if (s.getValue("rotated_at") != null) {
        rotated++;
      }
    }
    assertThat(families).hasSize(2);
    assertThat(rotated).isEqualTo(1);

    List<String> actions = new ArrayList<>();
    JsonArray audit = export.getJsonArray("audit_log");
    for (int i = 0; i < audit.size(); i++) {
      actions.add(audit.getJsonObject(i).getString("action"));
    }
    assertThat(actions).contains("auth.signup", "auth.login_failed");

    // No secret and nobody else's data anywhere in the body.
    String body = r.body();
    assertThat(body).doesNotContain("password_hash").doesNotContain("token_hash").doesNotContain("$argon2")
        .doesNotContain(a.password());
    for (String token : a.allRefreshTokens()) {
      assertThat(body).doesNotContain(token);
    }
    assertThat(body).doesNotContain(b.email()).doesNotContain(b.id().toString()).doesNotContain("Porto");
  }

  @Test
  void deletionRemovesEverythingButTheAuditEntry() throws Exception {
    Subject a = richUser("Graz");
    Subject b = richUser("Turku");
    JsonObject bProfileBefore = api.get("/api/v1/users/me", b.accessToken()).json().getJsonObject("profile");
    for (String table : USER_TABLES) {
      assertThat(rowsOf(table, a.id())).as("%s before", table).isPositive();
    }

    Api.Res deleted = api.delete("/api/v1/users/me", a.accessToken());
    assertThat(deleted.status()).as(deleted.body()).isEqualTo(204);
    assertThat(deleted.body()).isEmpty();

    // Credentials and sessions are gone.
    assertError(api.post("/api/v1/auth/login", null,
        new JsonObject().put("email", a.email()).put("password", a.password())), 401, "unauthorized");
    assertError(api.post("/api/v1/auth/refresh", null, new JsonObject().put("refresh_token", a.refreshToken())),
        401, "unauthorized");
    // The still-unexpired access token no longer reaches any data.
    assertError(api.get("/api/v1/users/me", a.accessToken()), 401, "unauthorized");
    assertError(api.get("/api/v1/users/me/export", a.accessToken()), 401, "unauthorized");
    assertError(api.delete("/api/v1/users/me", a.accessToken()), 401, "unauthorized");

    // No row of the user is left; the audit trail records the deletion.
    for (String table : USER_TABLES) {
      assertThat(rowsOf(table, a.id())).as("%s after", table).isZero();
    }
    Row entry = query("SELECT actor_id, subject_id, ip, request_id FROM audit_log WHERE action = 'user.deleted' "
        + "AND subject_id = $1", Tuple.of(a.id())).iterator().next();
    assertThat(entry.getUUID("actor_id")).isEqualTo(a.id());
    assertThat(entry.getString("ip")).isEqualTo("127.0.0.1");
    assertThat(entry.getString("request_id")).isEqualTo(deleted.header("X-Request-Id"));
    assertThat(query("SELECT count(*) AS n FROM audit_log WHERE action = 'user.deleted' AND subject_id = $1",
        Tuple.of(a.id())).iterator().next().getLong("n")).isEqualTo(1);

    // The listing is gone from the directory.
    assertError(api.get("/api/v1/experts/" + a.id(), b.accessToken()), 404, "not_found");
    assertThat(api.get("/api/v1/experts?specialization=" + a.specialization(), b.accessToken()).json()
        .getJsonArray("items")).isEmpty();

    // The other user is untouched.
    for (String table : USER_TABLES) {
      assertThat(rowsOf(table, b.id())).as("%s of the other user", table).isPositive();
    }
    Api.Res bMe = api.get("/api/v1/users/me", b.accessToken());
    assertThat(bMe.status()).isEqualTo(200);
    assertThat(bMe.json().getJsonObject("profile")).isEqualTo(bProfileBefore);
    assertThat(api.get("/api/v1/experts/" + b.id(), b.accessToken()).json().getString("display_name"))
        .isEqualTo("Dr Turku");
    assertThat(api.post("/api/v1/auth/refresh", null, new JsonObject().put("refresh_token", b.refreshToken()))
        .status()).isEqualTo(200);

    // The address is free again, for a new account with a new id.
    JsonObject again = api.signup(a.email(), a.password(), "Back Again");
    Api.Res me = api.get("/api/v1/users/me", again.getString("access_token"));
    assertThat(me.json().getString("id")).isNotEqualTo(a.id().toString());
    assertThat(me.json().getJsonObject("profile").getString("city")).isNull();
  }

  private Subject richUser(String city) {
    String email = "gdpr-" + UUID.randomUUID() + "@example.test";
    String password = "pw-" + UUID.randomUUID();
    List<String> refreshTokens = new ArrayList<>();
    JsonObject signup = api.signup(email, password, "Subject " + city);
    refreshTokens.add(signup.getString("refresh_token"));

    assertThat(api.post("/api/v1/auth/login", null,
        new JsonObject().put("email", email).put("password", "not-" + password)).status()).isEqualTo(401);
    Api.Res login = api.post("/api/v1/auth/login", null, new JsonObject().put("email", email).put("password", password));
    assertThat(login.status()).isEqualTo(200);
    refreshTokens.add(login.json().getString("refresh_token"));
    Api.Res refreshed = api.post("/api/v1/auth/refresh", null,
        new JsonObject().put("refresh_token", login.json().getString("refresh_token")));
    assertThat(refreshed.status()).as(refreshed.body()).isEqualTo(200);
    String access = refreshed.json().getString("access_token");
    String refresh = refreshed.json().getString("refresh_token");
    refreshTokens.add(refresh);

    Api.Res profile = api.put("/api/v1/users/me/profile", access, new JsonObject()
        .put("goals", new JsonArray().add("run a 10k").add("sleep 8 hours"))
        .put("height_cm", 172.5).put("weight_kg", 68).put("dob", "1990-04-01")
        .put("allergies", new JsonArray().add("peanuts")).put("dietary_pref", "vegetarian")
        .put("activity_level", "moderate").put("city", city));
    assertThat(profile.status()).as(profile.body()).isEqualTo(200);

    String specialization = "gdpr-spec-" + UUID.randomUUID();
    Api.Res expert = api.put("/api/v1/experts/me", access, new JsonObject()
        .put("display_name", "Dr " + city).put("specialization", specialization).put("bio", "Sleep and sport.")
        .put("city", city).put("rate_cents", 4500).put("expertise_tags", new JsonArray().add("sleep").add("sport"))
        .put("availability", new JsonArray().add(
            new JsonObject().put("weekday", 1).put("start", "09:00").put("end", "12:00"))));
    assertThat(expert.status()).as(expert.body()).isEqualTo(200);

    UUID id = UUID.fromString(api.get("/api/v1/users/me", access).json().getString("id"));
    return new Subject(id, email, password, access, refresh, refreshTokens, specialization);
  }

  private long rowsOf(String table, UUID userId) throws Exception {
    String column = table.equals("users") ? "id" : "user_id";
    return query("SELECT count(*) AS n FROM " + table + " WHERE " + column + " = $1", Tuple.of(userId))
        .iterator().next().getLong("n");
  }

  private RowSet<Row> query(String sql, Tuple args) throws Exception {
    return node.server().pool().preparedQuery(sql).execute(args).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }
}
