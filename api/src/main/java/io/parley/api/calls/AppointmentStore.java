package io.parley.api.calls;

import io.parley.api.infra.Keyset;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Appointments in PostgreSQL: booking, listing, and the status changes of the two parties.
 *
 * <p>Double booking of an expert is refused by the exclusion constraint
 * {@code appointments_expert_no_overlap} (live = requested or accepted), so two nodes booking the
 * same slot at once cannot both win; its violation becomes a CONFLICT. A user cannot hold two
 * overlapping live appointments either, on either side (one person, one call at a time, also for
 * an expert who books another expert): checked in the booking transaction under both parties'
 * booking locks, so two nodes booking for the same people cannot both pass.
 *
 * <p>The free quota: a booking is free while the user has fewer than {@code freePerMonth} free
 * bookings <em>created</em> in the current calendar month (UTC) that still count. A free booking
 * stops counting when it was declined, cancelled before its call started, or lapsed without a call
 * (expired or missed; the user got nothing); one whose call took place counts even if cancelled
 * afterwards. Bookings created with {@code requires_payment} never count. The count and the insert
 * run in one transaction under the booking parties' advisory locks, so concurrent bookings of one
 * user cannot both take the last free one.
 */
public final class AppointmentStore {

  /** The side the caller lists appointments from. */
  public enum Side { USER, EXPERT }

  /** A booking as the caller asked for it (already validated against the contract and limits). */
  public record Booking(UUID userId, UUID expertId, String type, Instant scheduledAt, int durationMinutes,
                        String notes) {}

  /** An appointment as stored, with its call (if one was started) and its JSON form. */
  public record Appointment(UUID id, UUID userId, UUID expertId, String status, Optional<UUID> callId,
                            boolean callOpen, JsonObject json) {
    public boolean party(UUID caller) {
      return userId.equals(caller) || expertId.equals(caller);
    }
  }


  /** First key of the per-user booking lock ({@code pg_advisory_xact_lock(int, int)}): "PAB1". */
  private static final int BOOKING_LOCK = 0x50414231;

  /** The booking locks of both parties, in the ids' order so that two bookings never wait on each other. */
  private static final String LOCK_PARTIES =
      "SELECT count(*) FROM (SELECT pg_advisory_xact_lock($1, hashtext($2::text)), pg_advisory_xact_lock($1, hashtext($3::text))) l";

  private static final String SELECT = "SELECT a.id, a.user_id, a.expert_id, a.type, a.status, a.scheduled_at, "
      + "a.ends_at, a.duration_minutes, a.requires_payment, a.notes, a.created_at, a.updated_at, "
      + "c.id AS call_id, c.started_at AS call_started_at, c.ends_at AS call_ends_at, c.ended_at AS call_ended_at, "
      + "c.end_reason AS call_end_reason "
      + "FROM appointments a LEFT JOIN call_sessions c ON c.appointment_id = a.id ";

  /** Free bookings of the user ($1) created this calendar month (UTC) that still count. */
  private static final String FREE_THIS_MONTH = "SELECT count(*) AS n FROM appointments a WHERE a.user_id = $1 "
      + "AND a.created_at >= (date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') "
      + "AND NOT a.requires_payment "
      + "AND (a.status IN ('requested', 'accepted', 'completed') "
      + "OR EXISTS (SELECT 1 FROM call_sessions c WHERE c.appointment_id = a.id))";

  /**
   * A live appointment of the user ($1) or of the expert ($2), on either side of it, overlapping
   * [$3, $4), the user's own first; run under both parties' booking locks.
   */
  private static final String PARTY_OVERLAP = "SELECT id, user_id, expert_id FROM appointments "
      + "WHERE (user_id IN ($1, $2) OR expert_id IN ($1, $2)) AND status IN ('requested', 'accepted') "
      + "AND scheduled_at < $4 AND ends_at > $3 ORDER BY (user_id = $1 OR expert_id = $1) DESC, scheduled_at LIMIT 1";

  private final Pool pool;

  public AppointmentStore(Pool pool) {
    this.pool = pool;
  }

  /**
   * Books: the expert must be an active expert (NOT_FOUND otherwise), the slot free (CONFLICT).
   * {@code requires_payment} is set past the free quota.
   */
  public Future<Appointment> create(UUID id, Booking b, int freePerMonth) {
    List<String> parties = java.util.stream.Stream.of(b.userId(), b.expertId()).map(UUID::toString).sorted().toList();
    return pool.withTransaction(conn -> conn.preparedQuery(LOCK_PARTIES)
            .execute(Tuple.of(BOOKING_LOCK, parties.get(0), parties.get(1)))
            .compose(v -> conn.preparedQuery("SELECT 1 FROM experts WHERE user_id = $1 AND active")
                .execute(Tuple.of(b.expertId())))
            .compose(rows -> rows.size() == 0
                ? Future.failedFuture(new ParleyException(Reason.NOT_FOUND,
                    "no such expert: " + b.expertId() + " is not an expert taking bookings"))
                : conn.preparedQuery(PARTY_OVERLAP).execute(Tuple.of(b.userId(), b.expertId(),
                    b.scheduledAt().atOffset(ZoneOffset.UTC),
                    b.scheduledAt().plus(Duration.ofMinutes(b.durationMinutes())).atOffset(ZoneOffset.UTC))))
            .compose(rows -> rows.size() > 0
                ? Future.failedFuture(overlap(b, rows.iterator().next()))
                : conn.preparedQuery(FREE_THIS_MONTH).execute(Tuple.of(b.userId())))
            .compose(rows -> {
              long free = rows.iterator().next().getLong("n");
              boolean requiresPayment = free >= freePerMonth;
              return conn.preparedQuery("INSERT INTO appointments (id, user_id, expert_id, type, status, scheduled_at, "
                      + "ends_at, duration_minutes, requires_payment, notes) VALUES ($1, $2, $3, $4, 'requested', $5, "
                      + "$5::timestamptz + make_interval(mins => $6::int), $6, $7, $8)")
                  .execute(Tuple.tuple()
                      .addValue(id)
                      .addValue(b.userId())
                      .addValue(b.expertId())
                      .addValue(b.type())
                      .addValue(b.scheduledAt().atOffset(ZoneOffset.UTC))
                      .addValue(b.durationMinutes())
                      .addValue(requiresPayment)
                      .addValue(b.notes()));
            })
            .compose(v -> find(conn, id))
            .map(Optional::orElseThrow))
        .recover(t -> {
          if (t instanceof PgException pg && "23P01".equals(pg.getSqlState())) {
            return Future.failedFuture(new ParleyException(Reason.CONFLICT,
                "the expert already has a booking overlapping " + b.scheduledAt() + " + " + b.durationMinutes() + " min"));
          }
          if (t instanceof PgException pg && "23503".equals(pg.getSqlState())) {
            // The caller's account (or the expert's) was deleted meanwhile.
            return Future.failedFuture(pg.getMessage() != null && pg.getMessage().contains("expert")
                ? new ParleyException(Reason.NOT_FOUND, "no such expert: " + b.expertId())
                : new ParleyException(Reason.UNAUTHENTICATED, "user no longer exists"));
          }
          return Future.failedFuture(t);
        });
  }

  /**
   * The conflict a booking overlapping {@code taken} is: the caller's own appointment is named (they
   * are a party to it); the expert's other appointments are not (someone else's).
   */
  private static ParleyException overlap(Booking b, Row taken) {
    String slot = b.scheduledAt() + " + " + b.durationMinutes() + " min";
    if (b.userId().equals(taken.getUUID("user_id")) || b.userId().equals(taken.getUUID("expert_id"))) {
      return new ParleyException(Reason.CONFLICT, "you already have a booking overlapping " + slot + ": appointment "
          + taken.getUUID("id"));
    }
    return new ParleyException(Reason.CONFLICT, "the expert already has a booking overlapping " + slot);
  }

  /** The appointment, whoever asks (visibility is the caller's business: {@link #visible}). */
  public Future<Optional<Appointment>> find(UUID id) {
    return pool.withConnection(conn -> find(conn, id));
  }

  private static Future<Optional<Appointment>> find(SqlConnection conn, UUID id) {
    return conn.preparedQuery(SELECT + "WHERE a.id = $1").execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(appointment(rows.iterator().next())));
  }

  /** The appointment if {@code caller} is a party or an admin; NOT_FOUND otherwise (strangers learn nothing). */
  public Future<Appointment> visible(UUID id, UUID caller, boolean admin) {
    return find(id).map(found -> found
        .filter(a -> admin || a.party(caller))
        .orElseThrow(AppointmentStore::notFound));
  }

  /** The expert accepts: only from {@code requested}, and only while the booked time has not passed. */
  public Future<Appointment> accept(UUID id, UUID caller) {
    return expertDecides(id, caller, "accepted", "AND ends_at > now()");
  }

  /** The expert declines: only from {@code requested}. */
  public Future<Appointment> decline(UUID id, UUID caller) {
    return expertDecides(id, caller, "declined", "");
  }

  private Future<Appointment> expertDecides(UUID id, UUID caller, String to, String extra) {
    return pool.preparedQuery("UPDATE appointments SET status = $3, updated_at = now() "
            + "WHERE id = $1 AND expert_id = $2 AND status = 'requested' " + extra + " RETURNING id")
        .execute(Tuple.of(id, caller, to))
        .compose(rows -> find(id).map(found -> {
          Appointment a = found.filter(x -> x.party(caller)).orElseThrow(AppointmentStore::notFound);
          if (rows.size() == 1) {
            return a;
          }
          if (!a.expertId().equals(caller)) {
            throw new ParleyException(Reason.FORBIDDEN, "only the expert can accept or decline an appointment");
          }
          if (!"requested".equals(a.status())) {
            throw new ParleyException(Reason.CONFLICT,
                "the appointment is " + a.status() + "; only a requested appointment can be " + to);
          }
          throw new ParleyException(Reason.CONFLICT, "the appointment's time has passed");
        }));
  }

  /**
   * Either party cancels a requested or accepted appointment (CONFLICT otherwise). Its open call, if
   * any, is the caller's to end ({@link Appointment#callOpen}): a call cannot start once this commits.
   */
  public Future<Appointment> cancel(UUID id, UUID caller) {
    return pool.preparedQuery("UPDATE appointments SET status = 'cancelled', updated_at = now() "
            + "WHERE id = $1 AND (user_id = $2 OR expert_id = $2) AND status IN ('requested', 'accepted') RETURNING id")
        .execute(Tuple.of(id, caller))
        .compose(rows -> find(id).map(found -> {
          Appointment a = found.filter(x -> x.party(caller)).orElseThrow(AppointmentStore::notFound);
          if (rows.size() == 0) {
            throw new ParleyException(Reason.CONFLICT,
                "the appointment is " + a.status() + "; only a requested or accepted appointment can be cancelled");
          }
          return a;
        }));
  }

  /** The caller's appointments on one side, by scheduled time (then id), after the cursor. */
  public Future<Keyset.Page> list(UUID caller, Side side, String status, int limit, String cursor) {
    Keyset after;
    try {
      after = Keyset.after(cursor);
    } catch (ParleyException bad) {
      return Future.failedFuture(bad);
    }
    String party = side == Side.EXPERT ? "a.expert_id" : "a.user_id";
    return pool.preparedQuery(SELECT + "WHERE " + party + " = $1 AND ($2::text IS NULL OR a.status = $2) "
            + "AND ($3::timestamptz IS NULL OR (a.scheduled_at, a.id) > ($3, $4)) "
            + "ORDER BY a.scheduled_at, a.id LIMIT $5")
        .execute(Tuple.of(caller, status, Keyset.timeOf(after), Keyset.idOf(after), limit + 1))
        .map(rows -> Keyset.page(rows, limit, r -> appointment(r).json(), "scheduled_at", "id"));
  }

  private static ParleyException notFound() {
    return new ParleyException(Reason.NOT_FOUND, "no such appointment");
  }

  private static Appointment appointment(Row r) {
    UUID callId = r.getUUID("call_id");
    Instant callEnded = instant(r, "call_ended_at");
    JsonObject call = null;
    if (callId != null) {
      Instant started = instant(r, "call_started_at");
      call = new JsonObject()
          .put("id", callId.toString())
          .put("started_at", text(started))
          .put("ends_at", text(instant(r, "call_ends_at")))
          .put("ended", callEnded != null)
          .put("ended_at", text(callEnded))
          .put("end_reason", r.getString("call_end_reason"))
          .put("duration_seconds", started == null || callEnded == null ? null
              : Duration.between(started, callEnded).toSeconds());
    }
    JsonObject json = new JsonObject()
        .put("id", r.getUUID("id").toString())
        .put("user_id", r.getUUID("user_id").toString())
        .put("expert_id", r.getUUID("expert_id").toString())
        .put("type", r.getString("type"))
        .put("status", r.getString("status"))
        .put("scheduled_at", text(instant(r, "scheduled_at")))
        .put("ends_at", text(instant(r, "ends_at")))
        .put("duration_minutes", r.getInteger("duration_minutes"))
        .put("requires_payment", r.getBoolean("requires_payment"))
        .put("notes", r.getString("notes"))
        .put("created_at", text(instant(r, "created_at")))
        .put("updated_at", text(instant(r, "updated_at")))
        .put("call", call);
    return new Appointment(r.getUUID("id"), r.getUUID("user_id"), r.getUUID("expert_id"), r.getString("status"),
        Optional.ofNullable(callId), callId != null && callEnded == null, json);
  }

  private static Instant instant(Row r, String column) {
    OffsetDateTime t = r.getOffsetDateTime(column);
    return t == null ? null : t.toInstant();
  }

  private static String text(Instant t) {
    return t == null ? null : t.toString();
  }
}
