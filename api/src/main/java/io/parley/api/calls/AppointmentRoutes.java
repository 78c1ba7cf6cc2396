package io.parley.api.calls;

import io.parley.api.calls.AppointmentStore;
import io.parley.api.calls.AppointmentStore.Appointment;
import io.parley.api.calls.AppointmentStore.Booking;
import io.parley.api.calls.AppointmentStore.Side;
import io.parley.api.calls.CallService;
import io.parley.api.accounts.UserStore;
import io.parley.core.Ids;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.parley.api.http.Responses;
import io.parley.api.http.Authenticator;
import io.parley.api.http.ApiProblem;

/**
 * {@code /api/v1/appointments*}: booking an expert, the expert's answer, cancelling, listing.
 *
 * <p>Visibility: an appointment exists only for its two parties (and admins, who may read but not
 * act); anyone else gets 404 on every route, so ids reveal nothing. A party that may see an
 * appointment but not do what it asks (the user accepting or declining) gets 403.
 */
public final class AppointmentRoutes {

  private static final Logger LOG = LoggerFactory.getLogger(AppointmentRoutes.class);

  private final AppointmentStore appointments;
  private final CallService calls;
  private final Ids ids;
  private final Clock clock;
  private final UserStore users;

  public AppointmentRoutes(AppointmentStore appointments, CallService calls, Ids ids, Clock clock, UserStore users) {
    this.users = users;
    this.appointments = appointments;
    this.calls = calls;
    this.ids = ids;
    this.clock = clock;
  }

  public void mount(RouterBuilder b) {
    b.getRoute("createAppointment").addHandler(this::create);
    b.getRoute("listAppointments").addHandler(this::list);
    b.getRoute("getAppointment").addHandler(this::get);
    b.getRoute("acceptAppointment").addHandler(ctx -> decide(ctx, true));
    b.getRoute("declineAppointment").addHandler(ctx -> decide(ctx, false));
    b.getRoute("cancelAppointment").addHandler(this::cancel);
  }

  private void create(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      UUID caller = Authenticator.userId(ctx);
      JsonObject body = ctx.body().asJsonObject();
      UUID expert = UUID.fromString(body.getString("expert_id"));
      if (expert.equals(caller)) {
        throw ApiProblem.field("/expert_id", "not", "you cannot book yourself");
      }
      Instant scheduled = scheduledAt(body.getString("scheduled_at"));
      int duration = body.getInteger("duration_minutes");
      long maxMinutes = Math.max(1, calls.settings().limit().toMinutes());
      if (duration > maxMinutes) {
        throw ApiProblem.field("/duration_minutes", "maximum",
            "must be at most " + maxMinutes + " minutes (the call limit)");
      }
      Booking booking = new Booking(caller, expert, body.getString("type"), scheduled, duration,
          body.getString("notes"));
      Responses.json(ctx, 201, appointments.create(ids.uuid7(), booking, calls.settings().freePerMonth())
          .map(Appointment::json));
    });
  }

  /** An RFC 3339 date-time with an offset, in the future. */
  private Instant scheduledAt(String text) {
    Instant at;
    try {
      at = OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException | NullPointerException e) {
      throw ApiProblem.field("/scheduled_at", "format", "must be an RFC 3339 date-time with an offset");
    }
    if (!at.isAfter(clock.instant())) {
      throw ApiProblem.field("/scheduled_at", "future", "must be in the future");
    }
    return at;
  }

  private void list(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      UUID caller = Authenticator.userId(ctx);
      var q = ctx.queryParams();
      Side side = "expert".equals(q.get("role")) ? Side.EXPERT : Side.USER;
      String limit = q.get("limit");
      Responses.json(ctx, 200, appointments.list(caller, side, q.get("status"),
              limit == null ? 20 : Integer.parseInt(limit), q.get("cursor"))
          .map(page -> new JsonObject().put("items", new JsonArray(page.items()))
              .put("next_cursor", page.nextCursor().orElse(null))));
    });
  }

  private void get(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      UUID id = id(ctx);
      UUID caller = Authenticator.userId(ctx);
      Responses.json(ctx, 200, Authenticator.isAdmin(ctx, users)
          .compose(admin -> appointments.visible(id, caller, admin))
          .map(Appointment::json));
    });
  }

  private void decide(RoutingContext ctx, boolean accept) {
    Responses.guarded(ctx, () -> {
      UUID caller = Authenticator.userId(ctx);
      UUID id = id(ctx);
      Responses.json(ctx, 200, (accept ? appointments.accept(id, caller) : appointments.decline(id, caller))
          .map(Appointment::json));
    });
  }

  /** Cancels, then ends the appointment's open call for both parties (reason cancelled). */
  private void cancel(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      UUID caller = Authenticator.userId(ctx);
      Responses.json(ctx, 200, cancel(appointments, calls, id(ctx), caller).map(Appointment::json));
    });
  }

  /**
   * {@code caller} cancels appointment {@code id} (a party of it), then its open call is ended for
   * both parties (reason cancelled); what the HTTP route and the assistant's tool both do.
   */
  public static Future<Appointment> cancel(AppointmentStore appointments, CallService calls, UUID id, UUID caller) {
    return appointments.cancel(id, caller).compose(a -> {
      if (!a.callOpen()) {
        return Future.succeededFuture(a);
      }
      UUID call = a.callId().orElseThrow();
      return calls.end(call, io.parley.api.calls.EndReason.CANCELLED, caller)
          .recover(t -> {
            // The appointment is cancelled; the call clock still ends the call at its end.
            LOG.warn("appointment {} cancelled but its call {} not ended: {}", id, call, t.toString());
            return Future.succeededFuture();
          })
          .compose(v -> appointments.visible(id, caller, false));
    });
  }

  private static UUID id(RoutingContext ctx) {
    return UUID.fromString(ctx.pathParam("appointmentId"));
  }
}
