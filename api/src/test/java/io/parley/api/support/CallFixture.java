package io.parley.api.support;

import io.parley.api.ParleyServer;
import io.parley.api.calls.Call;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/**
 * A started call between a fresh user and a fresh expert, set up directly (accepted appointment
 * written to PostgreSQL, call started through the node's CallService) so that signalling tests do
 * not depend on the booking API, which has tests of its own.
 */
public record CallFixture(String userToken, String expertToken, UUID userId, UUID expertId, UUID appointmentId,
                          Call call) {

  /** Sets up a call on {@code node} (the appointment is booked for now, 20 minutes). */
  public static CallFixture start(TestNode node) {
    return start(node.server(), node.api());
  }

  public static CallFixture start(ParleyServer server, Api api) {
    JsonObject user = api.newUser();
    JsonObject expert = api.newUser();
    String expertToken = expert.getString("access_token");
    Api.Res put = api.put("/api/v1/experts/me", expertToken, new JsonObject()
        .put("display_name", "Dr Test").put("specialization", "nutrition"));
    if (put.status() != 200) {
      throw new IllegalStateException("becoming an expert failed: " + put.status() + " " + put.body());
    }
    // Roles live in the token: log in again so that the expert's token says so.
    JsonObject relogin = api.post("/api/v1/auth/login", null, new JsonObject()
        .put("email", expert.getString("email")).put("password", expert.getString("password"))).json();
    expertToken = relogin.getString("access_token");
    UUID userId = UUID.fromString(api.get("/api/v1/auth/me", user.getString("access_token")).json().getString("id"));
    UUID expertId = UUID.fromString(api.get("/api/v1/auth/me", expertToken).json().getString("id"));
    UUID appointmentId = UUID.randomUUID();
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS);
    server.pool().preparedQuery("INSERT INTO appointments (id, user_id, expert_id, type, status, scheduled_at, "
            + "duration_minutes, ends_at) VALUES ($1, $2, $3, 'video', 'accepted', $4, 20, $5)")
        .execute(Tuple.of(appointmentId, userId, expertId, now, now.plusMinutes(20)))
        .await();
    Call call = server.calls().start(appointmentId, userId).await().call();
    return new CallFixture(user.getString("access_token"), expertToken, userId, expertId, appointmentId, call);
  }

  public UUID callId() {
    return call.id();
  }

  public JsonObject join() {
    return new JsonObject().put("type", "join").put("call_id", call.id().toString());
  }
}
