package io.parley.api.calls;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * One expert call: the appointment it belongs to, its two parties, its clock and, once over, its
 * summary. {@code endsAt} is fixed when the call starts (booked duration, capped by the call limit).
 */
public record Call(UUID id, UUID appointmentId, UUID userId, UUID expertId, String type, Instant startedAt,
                   Instant endsAt, Instant endedAt, EndReason endReason, Boolean userConsent, Boolean expertConsent,
                   int limitSeconds) {

  /** A party's side in the call. */
  public enum Role {
    USER("user"), EXPERT("expert");

    private final String wire;

    Role(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }

    /** The other party's side. */
    public Role peer() {
      return this == USER ? EXPERT : USER;
    }

    /** The role written {@code wire}, or null. */
    public static Role of(String wire) {
      for (Role r : values()) {
        if (r.wire.equals(wire)) {
          return r;
        }
      }
      return null;
    }
  }

  /** This call as ended at {@code at} for {@code reason} (what this node applies when PostgreSQL cannot record it). */
  public Call withEnd(Instant at, EndReason reason) {
    return new Call(id, appointmentId, userId, expertId, type, startedAt, endsAt, at, reason, userConsent,
        expertConsent, limitSeconds);
  }

  /** The caller's role, or empty when the caller is not a party. */
  public Optional<Role> roleOf(UUID caller) {
    if (userId.equals(caller)) {
      return Optional.of(Role.USER);
    }
    if (expertId.equals(caller)) {
      return Optional.of(Role.EXPERT);
    }
    return Optional.empty();
  }

  public UUID party(Role role) {
    return role == Role.USER ? userId : expertId;
  }

  public boolean ended() {
    return endedAt != null;
  }

  /** Seconds between start and end, once ended. */
  public Long durationSeconds() {
    return endedAt == null || startedAt == null ? null : Duration.between(startedAt, endedAt).toSeconds();
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("appointment_id", appointmentId.toString())
        .put("user_id", userId.toString())
        .put("expert_id", expertId.toString())
        .put("type", type)
        .put("started_at", startedAt == null ? null : startedAt.toString())
        .put("ends_at", endsAt == null ? null : endsAt.toString())
        .put("ended_at", endedAt == null ? null : endedAt.toString())
        .put("end_reason", endReason == null ? null : endReason.wire())
        .put("duration_seconds", durationSeconds())
        .put("limit_seconds", limitSeconds)
        .put("consent", new JsonObject().put("user", userConsent).put("expert", expertConsent));
  }
}
