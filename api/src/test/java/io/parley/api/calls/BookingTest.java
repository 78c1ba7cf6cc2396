package io.parley.api.calls;

import static io.parley.api.calls.Parties.inMinutes;
import static io.parley.api.support.ErrorShape.assertError;
import static io.parley.api.support.ErrorShape.fields;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.calls.Parties.Party;
import io.parley.api.support.Api;
import io.parley.api.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Booking an expert over REST on a real node: the appointment's shape, the monthly free quota,
 * double booking (409), the expert's answer, cancelling, listing, and invalid bookings. Every test
 * makes its own users and experts, so tests sharing the node do not see each other's bookings.
 */
class BookingTest {

  private static final TestNode NODE = TestNode.shared();
  private final Api api = NODE.api();
  private final Parties parties = new Parties(api);

  @Test
  void bookingReturnsTheAppointmentAndBothPartiesSeeIt() {
    Party user = parties.user();
    Party expert = parties.expert();
    Instant at = inMinutes(24 * 60);
    Api.Res r = api.post("/api/v1/appointments", user.token(), new JsonObject()
        .put("expert_id", expert.id()).put("type", "voice").put("scheduled_at", at.toString())
        .put("duration_minutes", 15).put("notes", "Knee pain when running"));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    JsonObject a = r.json();
    assertThat(a.fieldNames()).contains("id", "user_id", "expert_id", "type", "status", "scheduled_at", "ends_at",
        "duration_minutes", "requires_payment", "notes", "created_at", "call");
    assertThat(UUID.fromString(a.getString("id")).version()).isEqualTo(7);
    assertThat(a.getString("user_id")).isEqualTo(user.id());
    assertThat(a.getString("expert_id")).isEqualTo(expert.id());
    assertThat(a.getString("type")).isEqualTo("voice");
    assertThat(a.getString("status")).isEqualTo("requested");
    assertThat(Instant.parse(a.getString("scheduled_at"))).isEqualTo(at);
    assertThat(Instant.parse(a.getString("ends_at"))).isEqualTo(at.plus(15, ChronoUnit.MINUTES));
    assertThat(a.getInteger("duration_minutes")).isEqualTo(15);
    assertThat(a.getBoolean("requires_payment")).isFalse();
    assertThat(a.getString("notes")).isEqualTo("Knee pain when running");
    assertThat(Duration.between(Instant.parse(a.getString("created_at")), Instant.now()).abs())
        .isLessThan(Duration.ofMinutes(1));
    assertThat(a.getValue("call")).isNull();

    String path = "/api/v1/appointments/" + a.getString("id");
    assertThat(api.get(path, user.token()).json()).isEqualTo(a);
    assertThat(api.get(path, expert.token()).json()).isEqualTo(a);
    assertThat(ids(api.get("/api/v1/appointments", user.token()))).containsExactly(a.getString("id"));
    assertThat(ids(api.get("/api/v1/appointments?role=expert", expert.token()))).containsExactly(a.getString("id"));
    // Each sees it only from their own side.
    assertThat(ids(api.get("/api/v1/appointments?role=expert", user.token()))).isEmpty();
    assertThat(ids(api.get("/api/v1/appointments?role=user", expert.token()))).isEmpty();
    assertError(api.get("/api/v1/appointments", null), 401, "unauthorized");
    assertError(api.get(path, null), 401, "unauthorized");
  }

  @Test
  void freeQuotaThenRequiresPayment() {
    Party user = parties.user();
    Party expert = parties.expert();
    int free = NODE.server().calls().settings().freePerMonth();
    assertThat(free).as("default PARLEY_CALL_FREE_PER_MONTH").isEqualTo(2);
    List<JsonObject> booked = new ArrayList<>();
    for (int i = 0; i < free + 2; i++) {
      booked.add(parties.booked(user, expert, inMinutes(60L * 24 * (i + 1)), 20));
    }
    assertThat(booked).extracting(b -> b.getBoolean("requires_payment")).containsExactly(false, false, true, true);

    // Another user's quota is their own.
    Party other = parties.user();
    assertThat(parties.booked(other, expert, inMinutes(60L * 24 * 10), 20).getBoolean("requires_payment")).isFalse();

    // A free booking cancelled before its call, or declined, gives its free slot back; paid ones never count.
    cancel(booked.get(0), user);
    JsonObject again = parties.booked(user, expert, inMinutes(60L * 24 * 20), 20);
    assertThat(again.getBoolean("requires_payment")).isFalse();
    assertThat(parties.booked(user, expert, inMinutes(60L * 24 * 21), 20).getBoolean("requires_payment")).isTrue();
    assertThat(api.post("/api/v1/appointments/" + again.getString("id") + "/decline", expert.token(), null).status())
        .isEqualTo(200);
    assertThat(parties.booked(user, expert, inMinutes(60L * 24 * 22), 20).getBoolean("requires_payment")).isFalse();
    // Cancelling a paid one gives nothing back.
    cancel(booked.get(2), user);
    assertThat(parties.booked(user, expert, inMinutes(60L * 24 * 23), 20).getBoolean("requires_payment")).isTrue();
  }

  @Test
  void concurrentBookingsCannotBothTakeTheLastFreeOne() throws Exception {
    Party user = parties.user();
    List<Party> experts = List.of(parties.expert(), parties.expert(), parties.expert(), parties.expert());
    List<java.util.concurrent.CompletableFuture<Api.Res>> all = new ArrayList<>();
    for (int i = 0; i < experts.size(); i++) {
      Party e = experts.get(i);
      Instant at = inMinutes(120 + 30 * i);
      all.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> parties.book(user, e, at, 20)));
    }
    List<Boolean> paid = new ArrayList<>();
    for (var f : all) {
      Api.Res r = f.get(30, TimeUnit.SECONDS);
      assertThat(r.status()).as(r.body()).isEqualTo(201);
      paid.add(r.json().getBoolean("requires_payment"));
    }
    assertThat(paid.stream().filter(p -> !p).count()).as("free bookings among %s", paid).isEqualTo(2);
  }

  @Test
  void doubleBookingAnExpertIsAConflict() {
    Party expert = parties.expert();
    Party first = parties.user();
    Party second = parties.user();
    Instant at = inMinutes(3 * 24 * 60);
    JsonObject taken = parties.booked(first, expert, at, 20);

    for (Instant overlapping : List.of(at, at.plus(10, ChronoUnit.MINUTES), at.minus(10, ChronoUnit.MINUTES),
        at.plus(19, ChronoUnit.MINUTES))) {
      JsonObject error = assertError(parties.book(second, expert, overlapping, 20), 409, "conflict");
      assertThat(error.getString("message")).contains("overlapping");
    }
    // The same user cannot take it twice either.
    assertError(parties.book(first, expert, at, 20), 409, "conflict");
    // Back to back is fine (the slot is [start, end)), and so is another expert at the same time.
    parties.booked(second, expert, at.plus(20, ChronoUnit.MINUTES), 20);
    parties.booked(second, expert, at.minus(20, ChronoUnit.MINUTES), 20);
    parties.booked(parties.user(), parties.expert(), at, 20);
    // Still a conflict once accepted.
    assertThat(api.post("/api/v1/appointments/" + taken.getString("id") + "/accept", expert.token(), null).status())
        .isEqualTo(200);
    assertError(parties.book(second, expert, at.plus(5, ChronoUnit.MINUTES), 10), 409, "conflict");
    // A cancelled slot can be booked again...
    cancel(taken, first);
    JsonObject rebooked = parties.booked(second, expert, at, 20);
    // ... and a declined one too.
    assertThat(api.post("/api/v1/appointments/" + rebooked.getString("id") + "/decline", expert.token(), null)
        .json().getString("status")).isEqualTo("declined");
    parties.booked(first, expert, at.plus(10, ChronoUnit.MINUTES), 10);
  }

  @Test
  void aUserHoldsOneLiveBookingAtATime() throws Exception {
    Party user = parties.user();
    Instant at = inMinutes(4 * 24 * 60);
    JsonObject taken = parties.booked(user, parties.expert(), at, 20);

    for (Instant overlapping : List.of(at, at.plus(19, ChronoUnit.MINUTES), at.minus(10, ChronoUnit.MINUTES))) {
      JsonObject error = assertError(parties.book(user, parties.expert(), overlapping, 20), 409, "conflict");
      assertThat(error.getString("message")).contains("you already have a booking overlapping")
          .contains(taken.getString("id"));
    }
    // Back to back with another expert is fine; another user at the same time with another expert too.
    parties.booked(user, parties.expert(), at.plus(20, ChronoUnit.MINUTES), 20);
    parties.booked(parties.user(), parties.expert(), at, 20);

    // Two nodes' worth of concurrent bookings of one user for one time, each with another expert: one wins.
    Party busy = parties.user();
    Instant slot = inMinutes(5 * 24 * 60);
    List<java.util.concurrent.CompletableFuture<Api.Res>> all = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Party e = parties.expert();
      all.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> parties.book(busy, e, slot, 20)));
    }
    List<Integer> statuses = new ArrayList<>();
    for (var f : all) {
      statuses.add(f.get(30, TimeUnit.SECONDS).status());
    }
    assertThat(statuses).containsExactlyInAnyOrder(201, 409, 409, 409);

    // Once the first is cancelled (or declined), the time is free again.
    cancel(taken, user);
    parties.booked(user, parties.expert(), at, 20);
  }

  /** An expert who books another expert cannot be booked over it, nor book over their own calls. */
  @Test
  void anExpertIsOnePersonOnBothSidesOfTheirAppointments() {
    Party a = parties.expert();
    Party client = parties.user();
    Instant at = inMinutes(11 * 24 * 60);
    JsonObject asUser = parties.booked(a, parties.expert(), at, 20);

    JsonObject error = assertError(parties.book(client, a, at.plus(10, ChronoUnit.MINUTES), 20), 409, "conflict");
    assertThat(error.getString("message")).contains("the expert already has a booking overlapping")
        .doesNotContain(asUser.getString("id"));

    Instant later = inMinutes(12 * 24 * 60);
    JsonObject asExpert = parties.booked(client, a, later, 20);
    error = assertError(parties.book(a, parties.expert(), later.minus(10, ChronoUnit.MINUTES), 20), 409, "conflict");
    assertThat(error.getString("message")).contains("you already have a booking overlapping")
        .contains(asExpert.getString("id"));
    // Back to back on either side is fine.
    parties.booked(a, parties.expert(), later.plus(20, ChronoUnit.MINUTES), 20);
    parties.booked(parties.user(), a, at.plus(20, ChronoUnit.MINUTES), 20);
  }

  /**
   * Appointments whose time passed without a call: requested ones expire, accepted ones are missed,
   * one whose call was started stays as its call leaves it, and a future one stays live. Lapsed free
   * bookings give their free slot back. Booking in the past is refused, so the times are moved there
   * in PostgreSQL; the node's own sweep runs every minute, the test runs it at once.
   */
  @Test
  void appointmentsWhoseTimePassedWithoutACallLapse() throws Exception {
    Party user = parties.user();
    Party expert = parties.expert();
    JsonObject requested = parties.booked(user, expert, inMinutes(6 * 24 * 60), 20);
    JsonObject accepted = parties.accepted(user, expert, inMinutes(6 * 24 * 60 + 30), 20);
    JsonObject called = parties.accepted(user, expert, inMinutes(5), 20);
    Api.Res start = api.post("/api/v1/appointments/" + called.getString("id") + "/call", user.token(), null);
    assertThat(start.status()).as(start.body()).isIn(200, 201);
    JsonObject future = parties.booked(user, parties.expert(), inMinutes(7 * 24 * 60), 20);
    assertThat(List.of(requested, accepted, called, future)).extracting(a -> a.getBoolean("requires_payment"))
        .containsExactly(false, false, true, true);

    List<UUID> past = List.of(requested, accepted, called).stream().map(a -> UUID.fromString(a.getString("id"))).toList();
    // Ended two minutes ago or earlier (past the sweep's one-minute grace), one after the other: one expert.
    for (int i = 0; i < past.size(); i++) {
      NODE.server().pool().preparedQuery("UPDATE appointments SET scheduled_at = now() - make_interval(mins => $2 + 20), "
              + "ends_at = now() - make_interval(mins => $2) WHERE id = $1")
          .execute(Tuple.of(past.get(i), 2 + 21 * i)).await(10, TimeUnit.SECONDS);
    }
    List<CallStore.Lapsed> lapsed = NODE.server().calls().lapse().await(10, TimeUnit.SECONDS);
    assertThat(lapsed).contains(new CallStore.Lapsed(past.get(0), "expired"), new CallStore.Lapsed(past.get(1), "missed"));
    assertThat(lapsed).extracting(CallStore.Lapsed::appointmentId).doesNotContain(past.get(2));

    assertThat(status(requested, user)).isEqualTo("expired");
    assertThat(status(accepted, expert)).isEqualTo("missed");
    assertThat(status(called, user)).isEqualTo("accepted");
    assertThat(status(future, user)).isEqualTo("requested");
    assertThat(NODE.server().calls().lapse().await(10, TimeUnit.SECONDS)).as("a second sweep finds nothing of these")
        .extracting(CallStore.Lapsed::appointmentId).doesNotContainAnyElementsOf(past);
    assertThat(ids(api.get("/api/v1/appointments?status=expired", user.token()))).containsExactly(requested.getString("id"));
    // A lapsed appointment is over: it can be neither accepted nor cancelled.
    assertError(api.post("/api/v1/appointments/" + requested.getString("id") + "/accept", expert.token(), null), 409, "conflict");
    assertError(api.post("/api/v1/appointments/" + accepted.getString("id") + "/cancel", user.token(), null), 409, "conflict");
    // The two lapsed free bookings no longer count: the next two are free again.
    assertThat(parties.booked(user, expert, inMinutes(8 * 24 * 60), 20).getBoolean("requires_payment")).isFalse();
    assertThat(parties.booked(user, expert, inMinutes(9 * 24 * 60), 20).getBoolean("requires_payment")).isFalse();
    assertThat(parties.booked(user, expert, inMinutes(10 * 24 * 60), 20).getBoolean("requires_payment")).isTrue();
  }

  private String status(JsonObject appointment, Party by) {
    Api.Res r = api.get("/api/v1/appointments/" + appointment.getString("id"), by.token());
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json().getString("status");
  }

  @Test
  void onlyTheExpertAcceptsOrDeclines() {
    Party user = parties.user();
    Party expert = parties.expert();
    JsonObject a = parties.booked(user, expert, inMinutes(4 * 24 * 60), 20);
    String path = "/api/v1/appointments/" + a.getString("id");
    // The user can see the appointment, so it is a 403 (not the strangers' 404).
    assertThat(assertError(api.post(path + "/accept", user.token(), null), 403, "forbidden").getString("message"))
        .contains("only the expert");
    assertError(api.post(path + "/decline", user.token(), null), 403, "forbidden");
    assertThat(api.get(path, user.token()).json().getString("status")).isEqualTo("requested");

    Api.Res accepted = api.post(path + "/accept", expert.token(), null);
    assertThat(accepted.status()).as(accepted.body()).isEqualTo(200);
    assertThat(accepted.json().getString("status")).isEqualTo("accepted");
    assertThat(api.get(path, user.token()).json().getString("status")).isEqualTo("accepted");
    // Only from requested.
    assertThat(assertError(api.post(path + "/accept", expert.token(), null), 409, "conflict").getString("message"))
        .contains("accepted");
    assertError(api.post(path + "/decline", expert.token(), null), 409, "conflict");

    JsonObject b = parties.booked(user, expert, inMinutes(5 * 24 * 60), 20);
    String other = "/api/v1/appointments/" + b.getString("id");
    assertThat(api.post(other + "/decline", expert.token(), null).json().getString("status")).isEqualTo("declined");
    assertError(api.post(other + "/accept", expert.token(), null), 409, "conflict");
    assertError(api.post(other + "/cancel", user.token(), null), 409, "conflict");
  }

  @Test
  void eitherPartyCancels() {
    Party user = parties.user();
    Party expert = parties.expert();
    JsonObject requested = parties.booked(user, expert, inMinutes(6 * 24 * 60), 20);
    JsonObject accepted = parties.accepted(user, expert, inMinutes(7 * 24 * 60), 20);

    Api.Res byExpert = api.post("/api/v1/appointments/" + requested.getString("id") + "/cancel", expert.token(), null);
    assertThat(byExpert.status()).as(byExpert.body()).isEqualTo(200);
    assertThat(byExpert.json().getString("status")).isEqualTo("cancelled");
    Api.Res byUser = api.post("/api/v1/appointments/" + accepted.getString("id") + "/cancel", user.token(), null);
    assertThat(byUser.json().getString("status")).isEqualTo("cancelled");
    assertThat(api.get("/api/v1/appointments/" + accepted.getString("id"), expert.token()).json()
        .getString("status")).isEqualTo("cancelled");
    // Cancelled is final.
    assertError(api.post("/api/v1/appointments/" + accepted.getString("id") + "/cancel", expert.token(), null),
        409, "conflict");
    assertError(api.post("/api/v1/appointments/" + accepted.getString("id") + "/accept", expert.token(), null),
        409, "conflict");
  }

  @Test
  void invalidBookingsAreRejectedNamingTheField() throws Exception {
    Party user = parties.user();
    Party expert = parties.expert();
    Instant at = inMinutes(24 * 60);
    JsonObject good = new JsonObject().put("expert_id", expert.id()).put("type", "video")
        .put("scheduled_at", at.toString()).put("duration_minutes", 20);

    assertThat(fields(assertError(api.post("/api/v1/appointments", user.token(), good.copy().put("duration_minutes", 21)),
        400, "validation_failed"))).containsExactly("/duration_minutes");
    assertThat(fields(assertError(api.post("/api/v1/appointments", user.token(), good.copy().put("duration_minutes", 0)),
        400, "validation_failed"))).containsExactly("/duration_minutes");
    assertThat(fields(assertError(api.post("/api/v1/appointments", user.token(),
        good.copy().put("scheduled_at", Instant.now().minusSeconds(60).toString())), 400, "validation_failed")))
        .containsExactly("/scheduled_at");
    assertThat(fields(assertError(api.post("/api/v1/appointments", user.token(),
        good.copy().put("scheduled_at", "tomorrow at ten")), 400, "validation_failed"))).containsExactly("/scheduled_at");
    assertThat(fields(assertError(api.post("/api/v1/appointments", user.token(), good.copy().put("type", "fax")),
        400, "validation_failed"))).containsExactly("/type");
    assertThat(fields(assertError(api.post("/api/v1/appointments", user.token(), good.copy().put("expert_id", "nobody")),
        400, "validation_failed"))).containsExactly("/expert_id");
    JsonObject noExpert = good.copy();
    noExpert.remove("expert_id");
    assertThat(fields(assertError(api.post("/api/v1/appointments", user.token(), noExpert), 400, "validation_failed")))
        .contains("/expert_id");
    assertThat(fields(assertError(api.post("/api/v1/appointments", user.token(), good.copy().put("price", 0)),
        400, "validation_failed"))).contains("/price");

    // Booking yourself, a user who is no expert, an unknown id, or an expert no longer taking bookings.
    assertThat(fields(assertError(api.post("/api/v1/appointments", expert.token(), good), 400, "validation_failed")))
        .containsExactly("/expert_id");
    Party notAnExpert = parties.user();
    assertThat(assertError(api.post("/api/v1/appointments", user.token(), good.copy().put("expert_id", notAnExpert.id())),
        404, "not_found").getString("message")).contains("no such expert");
    assertError(api.post("/api/v1/appointments", user.token(), good.copy().put("expert_id", UUID.randomUUID().toString())),
        404, "not_found");
    Party inactive = parties.expert();
    NODE.server().pool().preparedQuery("UPDATE experts SET active = false WHERE user_id = $1")
        .execute(Tuple.of(UUID.fromString(inactive.id()))).await(10, TimeUnit.SECONDS);
    assertError(api.post("/api/v1/appointments", user.token(), good.copy().put("expert_id", inactive.id())),
        404, "not_found");
    assertError(api.post("/api/v1/appointments", null, good), 401, "unauthorized");

    // None of it was booked, and no free booking was used up.
    assertThat(ids(api.get("/api/v1/appointments", user.token()))).isEmpty();
    assertThat(parties.booked(user, expert, at, 20).getBoolean("requires_payment")).isFalse();
  }

  @Test
  void listingIsOrderedFilteredAndPaged() {
    Party user = parties.user();
    Party expert = parties.expert();
    JsonObject later = parties.booked(user, expert, inMinutes(9 * 24 * 60), 20);
    JsonObject soonest = parties.booked(user, expert, inMinutes(8 * 24 * 60), 20);
    JsonObject latest = parties.booked(user, parties.expert(), inMinutes(10 * 24 * 60), 20);
    api.post("/api/v1/appointments/" + later.getString("id") + "/accept", expert.token(), null);

    assertThat(ids(api.get("/api/v1/appointments", user.token())))
        .containsExactly(soonest.getString("id"), later.getString("id"), latest.getString("id"));
    assertThat(ids(api.get("/api/v1/appointments?status=accepted", user.token()))).containsExactly(later.getString("id"));
    assertThat(ids(api.get("/api/v1/appointments?role=expert&status=requested", expert.token())))
        .containsExactly(soonest.getString("id"));

    Api.Res page1 = api.get("/api/v1/appointments?limit=2", user.token());
    assertThat(ids(page1)).containsExactly(soonest.getString("id"), later.getString("id"));
    String cursor = page1.json().getString("next_cursor");
    assertThat(cursor).isNotBlank();
    Api.Res page2 = api.get("/api/v1/appointments?limit=2&cursor=" + cursor, user.token());
    assertThat(ids(page2)).containsExactly(latest.getString("id"));
    assertThat(page2.json().getValue("next_cursor")).isNull();

    assertThat(fields(assertError(api.get("/api/v1/appointments?role=admin", user.token()), 400, "validation_failed")))
        .containsExactly("/role");
    assertThat(fields(assertError(api.get("/api/v1/appointments?status=done", user.token()), 400, "validation_failed")))
        .containsExactly("/status");
    assertError(api.get("/api/v1/appointments?cursor=bm90LWEtY3Vyc29y", user.token()), 400, "validation_failed");
  }

  private void cancel(JsonObject appointment, Party by) {
    Api.Res r = api.post("/api/v1/appointments/" + appointment.getString("id") + "/cancel", by.token(), null);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().getString("status")).isEqualTo("cancelled");
  }

  private static List<String> ids(Api.Res r) {
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonArray items = r.json().getJsonArray("items");
    List<String> out = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      out.add(items.getJsonObject(i).getString("id"));
    }
    return out;
  }
}
