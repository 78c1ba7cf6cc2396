package io.parley.api.calls;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/** Users, experts and bookings over the HTTP API, for the appointment and call tests. */
final class Parties {

  /** A signed-up account: its id and access token. */
  record Party(String id, String token) {}

  private final Api api;

  Parties(Api api) {
    this.api = api;
  }

  Party user() {
    String token = api.newUser().getString("access_token");
    return new Party(api.get("/api/v1/users/me", token).json().getString("id"), token);
  }

  /** A user with an (active) expert listing. */
  Party expert() {
    Party p = user();
    Api.Res r = api.put("/api/v1/experts/me", p.token(), new JsonObject()
        .put("display_name", "Dr Test").put("specialization", "Calls-" + UUID.randomUUID()));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return p;
  }

  Api.Res book(Party user, Party expert, Instant at, int minutes) {
    return api.post("/api/v1/appointments", user.token(), new JsonObject()
        .put("expert_id", expert.id()).put("type", "video").put("scheduled_at", at.toString())
        .put("duration_minutes", minutes));
  }

  /** Books and asserts 201; returns the appointment. */
  JsonObject booked(Party user, Party expert, Instant at, int minutes) {
    Api.Res r = book(user, expert, at, minutes);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return r.json();
  }

  /** Books and has the expert accept; returns the accepted appointment. */
  JsonObject accepted(Party user, Party expert, Instant at, int minutes) {
    JsonObject a = booked(user, expert, at, minutes);
    Api.Res r = api.post("/api/v1/appointments/" + a.getString("id") + "/accept", expert.token(), null);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().getString("status")).isEqualTo("accepted");
    return r.json();
  }

  /** A whole minute in the future, {@code minutes} from now. */
  static Instant inMinutes(long minutes) {
    return Instant.now().truncatedTo(ChronoUnit.MINUTES).plus(minutes + 1, ChronoUnit.MINUTES);
  }
}
