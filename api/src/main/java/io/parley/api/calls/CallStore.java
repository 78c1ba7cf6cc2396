package io.parley.api.calls;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Calls in PostgreSQL. Starting and ending are single atomic statements, so two nodes (or a hangup
 * racing the clock) cannot both start or both end one call: the loser sees the winner's row.
 */
public final class CallStore {

  private static final String COLUMNS = "c.id, c.appointment_id, a.user_id, a.expert_id, a.type, c.started_at, "
      + "c.ends_at, c.ended_at, c.end_reason, c.user_consent, c.expert_consent, c.limit_seconds";

  /** Error code: the call has ended. */
  public static final String CALL_ENDED = "call_ended";
  /** Error code: too early or too late to start or join. */
  public static final String OUTSIDE_JOIN_WINDOW = "outside_join_window";

  /** A started call, and whether this request created it (false: it was already open). */
  public record Started(Call call, boolean created) {}

  private final Pool pool;

  public CallStore(Pool pool) {
    this.pool = pool;
  }

  public Future<Optional<Call>> find(UUID callId) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM call_sessions c JOIN appointments a "
            + "ON a.id = c.appointment_id WHERE c.id = $1")
        .execute(Tuple.of(callId))
        .map(rows -> first(rows));
  }

  /** The call of an appointment, if one was ever started. */
  public Future<Optional<Call>> ofAppointment(UUID appointmentId) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM call_sessions c JOIN appointments a "
            + "ON a.id = c.appointment_id WHERE c.appointment_id = $1")
        .execute(Tuple.of(appointmentId))
        .map(CallStore::first);
  }

  /**
   * Starts the appointment's call, or returns the open one. The caller must be a party (else
   * NOT_FOUND), the appointment accepted, now inside the join window; an ended call is not restarted.
   */
  public Future<Started> start(UUID callId, UUID appointmentId, UUID caller, Instant now, Duration joinEarly,
                               Duration limit) {
    return pool.withTransaction(conn -> conn.preparedQuery(
            "SELECT user_id, expert_id, status, scheduled_at, ends_at FROM appointments WHERE id = $1 FOR UPDATE")
        .execute(Tuple.of(appointmentId))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.failedFuture(new ParleyException(Reason.NOT_FOUND, "no such appointment"));
          }
          Row a = rows.iterator().next();
          if (!caller.equals(a.getUUID("user_id")) && !caller.equals(a.getUUID("expert_id"))) {
            return Future.failedFuture(new ParleyException(Reason.NOT_FOUND, "no such appointment"));
          }
          String status = a.getString("status");
          Instant scheduled = a.getOffsetDateTime("scheduled_at").toInstant();
          Instant bookedEnd = a.getOffsetDateTime("ends_at").toInstant();
          return conn.preparedQuery("SELECT " + COLUMNS + " FROM call_sessions c JOIN appointments a "
                  + "ON a.id = c.appointment_id WHERE c.appointment_id = $1")
              .execute(Tuple.of(appointmentId))
              .compose(existing -> {
                Optional<Call> open = first(existing);
                if (open.isPresent()) {
                  if (open.get().ended()) {
                    return Future.failedFuture(new ParleyException(Reason.CONFLICT, CALL_ENDED,
                        "this appointment's call has ended (" + open.get().endReason().wire() + ")"));
                  }
                  return Future.succeededFuture(new Started(open.get(), false));
                }
                if (!"accepted".equals(status)) {
                  return Future.failedFuture(new ParleyException(Reason.CONFLICT,
                      "the appointment is " + status + "; only an accepted appointment can be called"));
                }
                if (now.isBefore(scheduled.minus(joinEarly)) || !now.isBefore(bookedEnd)) {
                  return Future.failedFuture(new ParleyException(Reason.CONFLICT, OUTSIDE_JOIN_WINDOW,
                      "outside the join window: from " + scheduled.minus(joinEarly) + " until " + bookedEnd));
                }
                Duration booked = Duration.between(scheduled, bookedEnd);
                Duration length = booked.compareTo(limit) < 0 ? booked : limit;
                Instant endsAt = now.plus(length);
                return conn.preparedQuery("INSERT INTO call_sessions (id, appointment_id, started_at, ends_at, "
                        + "started_by, limit_seconds) VALUES ($1, $2, $3, $4, $5, $6)")
                    .execute(Tuple.of(callId, appointmentId, utc(now), utc(endsAt), caller,
                        (int) Math.max(1, length.toSeconds())))
                    .compose(v -> conn.preparedQuery("SELECT " + COLUMNS + " FROM call_sessions c JOIN appointments a "
                        + "ON a.id = c.appointment_id WHERE c.id = $1").execute(Tuple.of(callId)))
                    .map(r -> new Started(first(r).orElseThrow(), true));
              });
        }));
  }

  /**
   * Ends an open call; empty when it had already ended (someone else won). The appointment becomes
   * completed, or cancelled when that is the reason. A time-limit end is dated at the limit even
   * when the node notices late (after a restart).
   */
  public Future<Optional<Call>> end(UUID callId, EndReason reason, UUID by) {
    return pool.preparedQuery("WITH e AS (UPDATE call_sessions SET ended_at = "
            + "CASE WHEN $2 = 'time_limit' THEN LEAST(now(), ends_at) ELSE now() END, end_reason = $2, ended_by = $3 "
            + "WHERE id = $1 AND ended_at IS NULL RETURNING *), "
            + "u AS (UPDATE appointments SET status = CASE WHEN $2 = 'cancelled' THEN 'cancelled' ELSE 'completed' END, "
            + "updated_at = now() WHERE id = (SELECT appointment_id FROM e) AND status = 'accepted') "
            + "SELECT " + COLUMNS + " FROM e c JOIN appointments a ON a.id = c.appointment_id")
        .execute(Tuple.of(callId, reason.wire(), by))
        .map(CallStore::first);
  }

  /** An appointment that left the live states because its time passed without a call. */
  public record Lapsed(UUID appointmentId, String status) {}

  /**
   * Appointments whose booked end is more than {@code grace} ago and that never had a call leave the
   * live states: requested -> expired, accepted -> missed. Returns them. The grace keeps this clear
   * of a call being started at the last moment (the start checks the end against the node's clock).
   */
  public Future<List<Lapsed>> lapse(Duration grace) {
    return pool.preparedQuery("UPDATE appointments a SET status = CASE WHEN a.status = 'requested' THEN 'expired' "
            + "ELSE 'missed' END, updated_at = now() WHERE a.status IN ('requested', 'accepted') "
            + "AND a.ends_at <= now() - make_interval(secs => $1) "
            + "AND NOT EXISTS (SELECT 1 FROM call_sessions c WHERE c.appointment_id = a.id) RETURNING a.id, a.status")
        .execute(Tuple.of((double) grace.toSeconds()))
        .map(rows -> {
          List<Lapsed> out = new ArrayList<>();
          rows.forEach(r -> out.add(new Lapsed(r.getUUID("id"), r.getString("status"))));
          return out;
        });
  }

  /**
   * Ends every open call past its end (time_limit), and any whose appointment was cancelled without
   * its call being ended (cancelled); returns those this node ended.
   */
  public Future<List<Call>> endDue() {
    return pool.preparedQuery("WITH e AS (UPDATE call_sessions c SET "
            + "ended_at = CASE WHEN c.ends_at <= now() THEN LEAST(now(), c.ends_at) ELSE now() END, "
            + "end_reason = CASE WHEN c.ends_at <= now() THEN 'time_limit' ELSE 'cancelled' END "
            + "FROM appointments ap WHERE ap.id = c.appointment_id AND c.ended_at IS NULL "
            + "AND (c.ends_at <= now() OR ap.status = 'cancelled') RETURNING c.*), "
            + "u AS (UPDATE appointments SET status = 'completed', updated_at = now() "
            + "WHERE id IN (SELECT appointment_id FROM e) AND status = 'accepted') "
            + "SELECT " + COLUMNS + " FROM e c JOIN appointments a ON a.id = c.appointment_id")
        .execute()
        .map(CallStore::all);
  }

  /** Open calls of a user (as either party), e.g. to end them before the account is deleted. */
  public Future<List<Call>> openOf(UUID party) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM call_sessions c JOIN appointments a "
            + "ON a.id = c.appointment_id WHERE c.ended_at IS NULL AND (a.user_id = $1 OR a.expert_id = $1)")
        .execute(Tuple.of(party))
        .map(CallStore::all);
  }

  /** Of {@code ids}, the calls that have ended. */
  public Future<List<Call>> endedAmong(List<UUID> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM call_sessions c JOIN appointments a "
            + "ON a.id = c.appointment_id WHERE c.id = ANY($1) AND c.ended_at IS NOT NULL")
        .execute(Tuple.of(ids.toArray(UUID[]::new)))
        .map(CallStore::all);
  }

  /** Of {@code ids}, those that no longer exist (deleted with an account). */
  public Future<List<UUID>> missingAmong(List<UUID> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return pool.preparedQuery("SELECT id FROM unnest($1::uuid[]) AS t(id) "
            + "WHERE NOT EXISTS (SELECT 1 FROM call_sessions c WHERE c.id = t.id)")
        .execute(Tuple.of(ids.toArray(UUID[]::new)))
        .map(rows -> {
          List<UUID> out = new ArrayList<>(rows.size());
          rows.forEach(r -> out.add(r.getUUID("id")));
          return out;
        });
  }

  /** Calls that ended while their credentials are still valid (their TURN revocations must hold). */
  public Future<List<Call>> endedBeforeTheirEnd() {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM call_sessions c JOIN appointments a "
            + "ON a.id = c.appointment_id WHERE c.ends_at > now() AND c.ended_at IS NOT NULL")
        .execute()
        .map(CallStore::all);
  }

  /** Stores the caller's recording consent; empty when the caller is not a party. */
  public Future<Optional<Call>> consent(UUID callId, UUID caller, boolean recording) {
    return pool.preparedQuery("WITH e AS (UPDATE call_sessions c SET "
            + "user_consent = CASE WHEN a.user_id = $2 THEN $3 ELSE c.user_consent END, "
            + "expert_consent = CASE WHEN a.expert_id = $2 THEN $3 ELSE c.expert_consent END "
            + "FROM appointments a WHERE c.id = $1 AND a.id = c.appointment_id "
            + "AND (a.user_id = $2 OR a.expert_id = $2) RETURNING c.*) "
            + "SELECT " + COLUMNS + " FROM e c JOIN appointments a ON a.id = c.appointment_id")
        .execute(Tuple.of(callId, caller, recording))
        .map(CallStore::first);
  }

  private static Optional<Call> first(RowSet<Row> rows) {
    return rows.size() == 0 ? Optional.empty() : Optional.of(call(rows.iterator().next()));
  }

  private static List<Call> all(RowSet<Row> rows) {
    List<Call> out = new ArrayList<>(rows.size());
    rows.forEach(r -> out.add(call(r)));
    return out;
  }

  static Call call(Row r) {
    Integer limit = r.getInteger("limit_seconds");
    return new Call(r.getUUID("id"), r.getUUID("appointment_id"), r.getUUID("user_id"), r.getUUID("expert_id"),
        r.getString("type"), instant(r, "started_at"), instant(r, "ends_at"), instant(r, "ended_at"),
        EndReason.of(r.getString("end_reason")), r.getBoolean("user_consent"), r.getBoolean("expert_consent"),
        limit == null ? 0 : limit);
  }

  private static Instant instant(Row r, String column) {
    OffsetDateTime t = r.getOffsetDateTime(column);
    return t == null ? null : t.toInstant();
  }

  private static OffsetDateTime utc(Instant t) {
    return t.atOffset(ZoneOffset.UTC);
  }
}
