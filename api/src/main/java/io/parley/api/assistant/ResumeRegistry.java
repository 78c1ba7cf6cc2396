package io.parley.api.assistant;

import io.parley.inference.stt.Languages;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions whose socket dropped, by resume token, until their grace period ends: in this node's
 * memory and, on a cluster, in Redis ({@link VoiceSessions}) so that any node can resume them. A
 * token resumes once.
 */
final class ResumeRegistry {

  private static final Logger LOG = LoggerFactory.getLogger(ResumeRegistry.class);

  /** What a dropped session leaves behind for a reconnect: its conversation and settings. */
  record Resumable(UUID user, UUID conversationId, String personality, String instructions, boolean audioOut,
                   Optional<String> language, long expiresAtNanos) {
    JsonObject toJson() {
      return new JsonObject().put("user", user.toString()).put("conversation_id", conversationId.toString())
          .put("personality", personality).put("instructions", instructions).put("audio_out", audioOut)
          .put("language", language.orElse(null));
    }

    static Resumable fromJson(JsonObject j, long expiresAtNanos) {
      return new Resumable(UUID.fromString(j.getString("user")), UUID.fromString(j.getString("conversation_id")),
          j.getString("personality"), j.getString("instructions"), j.getBoolean("audio_out", true),
          Optional.ofNullable(j.getString("language")).filter(Languages::known), expiresAtNanos);
    }

    boolean current(UUID claimant) {
      return user.equals(claimant) && expiresAtNanos - System.nanoTime() > 0;
    }
  }

  private final Map<String, Resumable> local = new ConcurrentHashMap<>();
  /** The cluster's view, or null for this node alone. */
  private final VoiceSessions cluster;
  private final Duration grace;

  ResumeRegistry(VoiceSessions cluster, Duration grace) {
    this.cluster = cluster;
    this.grace = grace;
  }

  /** Keeps a dropped session for the grace period (no-op when the grace is zero). */
  void keep(String token, UUID user, UUID conversationId, String personality, String instructions, boolean audioOut,
            Optional<String> language) {
    if (grace.isZero()) {
      return;
    }
    Resumable kept = new Resumable(user, conversationId, personality, instructions, audioOut, language,
        System.nanoTime() + grace.toNanos());
    local.put(token, kept);
    if (cluster != null) {
      cluster.keep(token, kept.toJson(), grace)
          .onFailure(e -> LOG.warn("voice: resume state not shared ({}); it resumes on this node only", e.toString()));
    }
  }

  /**
   * Takes the session kept under {@code token}, if any and not expired; Redis is the authority when
   * it answers (a token another node took is gone here too), this node's memory the fallback.
   */
  Future<Optional<Resumable>> take(String token) {
    long now = System.nanoTime();
    local.values().removeIf(r -> r.expiresAtNanos() - now <= 0);
    Resumable here = local.remove(token);
    if (cluster == null) {
      return Future.succeededFuture(Optional.ofNullable(here));
    }
    return cluster.take(token).transform(ar -> Future.succeededFuture(ar.failed() ? Optional.ofNullable(here)
        // Redis kept it no longer than the grace period: it is current.
        : ar.result().map(j -> Resumable.fromJson(j, System.nanoTime() + grace.toNanos()))));
  }

  /** Forgets every session of {@code user} kept on this node (a deleted account). */
  void forget(UUID user) {
    local.values().removeIf(r -> r.user().equals(user));
  }
}
