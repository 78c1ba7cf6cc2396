package io.parley.api.accounts;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.assistant.tools.ServerTool;
import io.parley.api.support.Api;
import io.parley.api.support.RealtimeClient;
import io.parley.api.support.StandInLlm;
import io.parley.api.support.TestNode;
import io.parley.inference.llm.ToolCall;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The audit trail on a real node: successful logins, data exports, admin reads, account, profile and
 * listing changes, deletions of memories and conversations and the assistant's writes are recorded
 * with who, what, when, the client IP and the target, and read back through the admin view; the
 * retention purge deletes what is older than PARLEY_AUDIT_RETENTION_DAYS by its clock, not the rest.
 */
class AuditTrailTest {

  private static StandInLlm llm;
  private static TestNode node;
  private static Api api;
  private static String adminToken;
  private static UUID adminId;

  @BeforeAll
  static void start() throws Exception {
    llm = StandInLlm.start();
    node = TestNode.start(Map.of("PARLEY_LLM_BASE_URL", llm.baseUrl(), "PARLEY_LLM_MODEL", "stand-in"));
    api = node.api();
    String email = "audit-admin-" + UUID.randomUUID() + "@example.test";
    api.signup(email, "admin-password", "Admin");
    node.grantAdmin(email);
    adminToken = api.login(email, "admin-password").getString("access_token");
    adminId = UUID.fromString(api.get("/api/v1/users/me", adminToken).json().getString("id"));
  }

  @AfterAll
  static void stop() throws Exception {
    TestNode.closeAll(node, llm);
  }

  private record User(UUID id, String token, String email, String password) {}

  private static User user() {
    JsonObject u = api.newUser();
    String token = u.getString("access_token");
    return new User(UUID.fromString(api.get("/api/v1/users/me", token).json().getString("id")), token,
        u.getString("email"), u.getString("password"));
  }

  /** The audit entries about {@code user}, oldest first, as the admin view shows them. */
  private static List<JsonObject> entries(UUID user) {
    Api.Res log = api.get("/api/v1/admin/audit-log?limit=500&user_id=" + user, adminToken);
    assertThat(log.status()).as(log.body()).isEqualTo(200);
    List<JsonObject> items = new java.util.ArrayList<>(log.json().getJsonArray("items").stream()
        .map(o -> (JsonObject) o).toList());
    java.util.Collections.reverse(items);
    return items;
  }

  private static JsonObject only(List<JsonObject> entries, String action) {
    List<JsonObject> found = entries.stream().filter(e -> action.equals(e.getString("action"))).toList();
    assertThat(found).as("%s in %s", action, entries).hasSize(1);
    return found.get(0);
  }

  /** Who, when and from where: the caller of a request, its address and its id. */
  private static void byRequestOf(JsonObject entry, UUID actor) {
    assertThat(entry.getString("actor_id")).as(entry.encode()).isEqualTo(actor.toString());
    assertThat(entry.getString("ip")).as(entry.encode()).isEqualTo("127.0.0.1");
    assertThat(entry.getString("request_id")).as(entry.encode()).isNotBlank();
    assertThat(java.time.OffsetDateTime.parse(entry.getString("at")).toInstant())
        .isBetween(Instant.now().minus(5, ChronoUnit.MINUTES), Instant.now().plusSeconds(5));
  }

  private static JsonObject details(JsonObject entry) {
    Object d = entry.getValue("details");
    return d instanceof JsonObject o ? o : new JsonObject(String.valueOf(d));
  }

  @Test
  void accountActionsAreRecordedWithWhoWhenWhereAndWhat() {
    User u = user();

    api.login(u.email(), u.password());
    assertThat(api.put("/api/v1/users/me", u.token(), new JsonObject().put("name", "Renamed")).status()).isEqualTo(200);
    assertThat(api.put("/api/v1/users/me/profile", u.token(), new JsonObject().put("city", "Oslo")
        .put("allergies", new JsonArray().add("peanuts"))).status()).isEqualTo(200);
    assertThat(api.get("/api/v1/users/me/export", u.token()).status()).isEqualTo(200);
    assertThat(api.put("/api/v1/experts/me", u.token(), new JsonObject().put("display_name", "Dr Audit")
        .put("specialization", "nutritionist")).status()).isEqualTo(200);
    String memory = api.post("/api/v1/memories", u.token(), new JsonObject().put("content", "trains on Tuesdays"))
        .json().getString("id");
    assertThat(api.delete("/api/v1/memories/" + memory, u.token()).status()).isEqualTo(204);
    // A deletion that finds nothing changes nothing and is not recorded.
    assertThat(api.delete("/api/v1/memories/" + memory, u.token()).status()).isEqualTo(404);

    List<JsonObject> log = entries(u.id());
    for (String action : new String[] {"auth.login", "user.updated", "user.profile_updated", "user.exported",
        "expert.updated", "memory.deleted"}) {
      JsonObject e = only(log, action);
      byRequestOf(e, u.id());
      assertThat(e.getString("subject_id")).isEqualTo(u.id().toString());
    }
    assertThat(details(only(log, "user.updated")).getJsonArray("fields")).containsExactly("name");
    JsonObject profile = details(only(log, "user.profile_updated"));
    assertThat(profile.getJsonArray("fields")).containsExactly("allergies", "city");
    // Field names only: the values (health data) stay out of the audit log.
    assertThat(profile.encode()).doesNotContain("peanuts").doesNotContain("Oslo");
    assertThat(details(only(log, "memory.deleted")).getString("target")).isEqualTo("memory:" + memory);
    assertThat(log.toString()).doesNotContain("Tuesdays");
  }

  @Test
  void adminReadsAreRecordedAgainstTheAccountRead() {
    User u = user();

    assertThat(api.get("/api/v1/admin/users/" + u.id(), adminToken).status()).isEqualTo(200);
    entries(u.id());

    List<JsonObject> log = entries(u.id());
    byRequestOf(only(log, "admin.user_read"), adminId);
    assertThat(only(log, "admin.user_read").getString("subject_id")).isEqualTo(u.id().toString());
    // The first read of the log shows in the second.
    byRequestOf(only(log, "admin.audit_log_read"), adminId);
  }

  @Test
  void theAssistantsWritesAreRecordedWithWhatTheyChanged() throws Exception {
    User u = user();
    UUID conversation = null;

    JsonObject unconfirmed = tool(u.id(), conversation, "remember", new JsonObject().put("content", "likes tea"));
    JsonObject remembered = tool(u.id(), conversation, "remember", new JsonObject().put("content", "likes tea")
        .put("confirm", true));
    JsonObject meal = tool(u.id(), conversation, "log_meal", new JsonObject().put("description", "a banana")
        .put("confirm", true));
    JsonObject read = tool(u.id(), conversation, "get_meals", new JsonObject());

    assertThat(unconfirmed.getString("status")).isEqualTo("confirmation_required");
    assertThat(read.encode()).contains("meals");
    List<JsonObject> log = entries(u.id());
    JsonObject rememberEntry = only(log, "tool.remember");
    assertThat(rememberEntry.getString("actor_id")).isEqualTo(u.id().toString());
    assertThat(details(rememberEntry).getString("target"))
        .isEqualTo("memory:" + remembered.getJsonObject("memory").getString("id"));
    assertThat(details(rememberEntry).getString("tool")).isEqualTo("remember");
    assertThat(details(only(log, "tool.log_meal")).getString("target"))
        .isEqualTo("meal:" + meal.getJsonObject("meal").getString("id"));
    // Reads and unconfirmed writes change nothing: not recorded.
    assertThat(log).extracting(e -> e.getString("action")).doesNotContain("tool.get_meals")
        .filteredOn("tool.remember"::equals).hasSize(1);
  }

  @Test
  void aWriteOfTheAssistantInAChatCompletionIsRecordedWithTheRequestItCameIn() {
    User u = user();
    ToolCall remember = new ToolCall("call_remember_1", "remember",
        "{\"content\": \"swims on Fridays\", \"confirm\": true}");
    llm.then(StandInLlm.Reply.toolCalls(remember)).then(body -> new StandInLlm.Answer("Noted.", List.of()));

    Api.Res chat = api.post("/v1/chat/completions", u.token(), new JsonObject().put("model", "parley")
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user")
            .put("content", "Remember that I swim on Fridays."))));

    assertThat(chat.status()).as(chat.body()).isEqualTo(200);
    JsonObject entry = only(entries(u.id()), "tool.remember");
    byRequestOf(entry, u.id());
    assertThat(entry.getString("request_id")).isEqualTo(chat.header("X-Request-Id"));
    assertThat(details(entry).getString("target")).startsWith("memory:");
    assertThat(entry.encode()).doesNotContain("Fridays");
  }

  /**
   * A write the model makes in a realtime session is recorded with the address of the session's
   * client (the WebSocket handshake's, as {@code ClientIp} finds it); it had no IP before.
   */
  @Test
  void aWriteOfTheAssistantInARealtimeSessionIsRecordedWithTheSessionsClientIp() throws Exception {
    User u = user();
    ToolCall remember = new ToolCall("call_remember_rt", "remember",
        "{\"content\": \"rows on Mondays\", \"confirm\": true}");
    llm.then(StandInLlm.Reply.toolCalls(remember)).then(body -> new StandInLlm.Answer("Noted.", List.of()));
    try (RealtimeClient c = RealtimeClient.connect(node, u.token(), "")) {
      c.next("session.created");
      c.send(new JsonObject().put("type", "session.update").put("session", new JsonObject()
          .put("output_modalities", new JsonArray().add("text"))));
      c.next("session.updated");
      c.say("Remember that I row on Mondays.");
      c.next("response.done", Duration.ofSeconds(30));
    }
    io.parley.api.support.Poll.until(Duration.ofSeconds(10), "the tool's write is in the audit log",
        () -> entries(u.id()).stream().anyMatch(e -> "tool.remember".equals(e.getString("action"))));
    JsonObject entry = only(entries(u.id()), "tool.remember");
    assertThat(entry.getString("actor_id")).isEqualTo(u.id().toString());
    assertThat(entry.getString("ip")).as(entry.encode()).isEqualTo("127.0.0.1");
    assertThat(details(entry).getString("target")).startsWith("memory:");
    assertThat(details(entry).getString("conversation_id")).as("the session's conversation").isNotBlank();
  }

  @Test
  void theRetentionPurgeDeletesWhatIsOlderThanTheRetentionByItsClock() throws Exception {
    UUID subject = UUID.randomUUID();
    Instant now = Instant.now();
    var pool = node.server().pool();
    for (int daysAgo : new int[] {500, 300, 200, 10}) {
      pool.preparedQuery("INSERT INTO audit_log (at, action, subject_id, details) VALUES ($1, $2, $3, '{}')")
          .execute(Tuple.of(now.minus(daysAgo, ChronoUnit.DAYS).atOffset(ZoneOffset.UTC), "test.aged_" + daysAgo, subject))
          .await(10, TimeUnit.SECONDS);
    }
    // 100 days from now, a 365-day retention keeps what is younger than 265 days today.
    Clock later = Clock.fixed(now.plus(100, ChronoUnit.DAYS), ZoneOffset.UTC);

    AuditRetention retention = new AuditRetention(node.server().vertx(), pool, Duration.ofDays(365), later);
    try {
      retention.purge().await(30, TimeUnit.SECONDS);
    } finally {
      retention.close();
    }

    List<String> left = pool.preparedQuery("SELECT action FROM audit_log WHERE subject_id = $1 ORDER BY at")
        .execute(Tuple.of(subject)).await(10, TimeUnit.SECONDS).stream().map(r -> r.getString(0)).toList();
    assertThat(left).containsExactly("test.aged_200", "test.aged_10");
  }

  private static JsonObject tool(UUID user, UUID conversation, String name, JsonObject args) throws Exception {
    CompletableFuture<JsonObject> done = new CompletableFuture<>();
    node.server().vertx().getOrCreateContext().runOnContext(v -> node.server().serverTools()
        .run(new ServerTool.Caller(user, conversation), new ToolCall("call_" + UUID.randomUUID(), name, args.encode()))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            done.complete(ar.result());
          } else {
            done.completeExceptionally(ar.cause());
          }
        }));
    return done.get(10, TimeUnit.SECONDS);
  }
}
