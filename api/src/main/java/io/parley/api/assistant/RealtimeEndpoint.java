package io.parley.api.assistant;

import io.micrometer.core.instrument.MeterRegistry;
import io.parley.api.accounts.DeletedAccounts;
import io.parley.api.assistant.context.PersonalPrompts;
import io.parley.api.assistant.realtime.ClientEventDecoder;
import io.parley.api.http.ClientIp;
import io.parley.inference.llm.ChatMessage;
import io.parley.inference.voice.ToolTurns;
import io.parley.inference.voice.VoiceEvent;
import io.parley.inference.voice.VoiceSession;
import io.parley.inference.voice.VoiceSettings;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.redis.client.RedisAPI;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * {@code /v1/realtime}: the OpenAI Realtime API (GA event names, as typed by the {@code openai}
 * package 7.x) over a WebSocket, backed by a {@link VoiceSession}. Audio is PCM16 little-endian mono
 * at the session's rate (24 kHz by default), base64 in {@code input_audio_buffer.append}, or raw in
 * binary frames (a Parley extension). Authentication: {@code Authorization: Bearer <access token>}
 * (what the openai clients send), or for browsers the WebSocket subprotocol
 * {@code openai-insecure-api-key.<access token>} ({@link RealtimeHandshake}). {@code ?conversation=<id>}
 * continues one of the user's conversations with its history ({@link ContinuedConversation}; another
 * user's or an unknown id: the handshake is refused with 404, never a silent new conversation).
 * {@code ?model=} is accepted (one pipeline serves any model name); {@code ?intent=transcription}
 * opens a session that only transcribes. The handshake selects the subprotocol {@code realtime} that
 * browsers offer with the key (see {@link io.parley.api.http.HttpListeners}); the Agents SDK's
 * {@code openai-agents-sdk.<version>} beside them is accepted. Each answer's prompt carries the
 * user's personal context ({@link PersonalPrompts}). The protocol itself is in
 * {@link io.parley.api.assistant.realtime}; a session's configuration in {@link RealtimeSessionConfig};
 * dropped sessions wait for their client in a {@link ResumeRegistry}.
 *
 * @see <a href="https://platform.openai.com/docs/api-reference/realtime">Realtime API reference</a>
 */
public final class RealtimeEndpoint {

  public static final String PATH = "/v1/realtime";
  /** Input and output rate unless the session says otherwise (OpenAI's audio/pcm rate). */
  public static final int DEFAULT_RATE = 24_000;
  /** Largest base64 audio in one append (about 20 s at 24 kHz). */
  public static final int MAX_APPEND_CHARS = ClientEventDecoder.MAX_APPEND_CHARS;
  /** Bytes queued for a client before it counts as not reading (several seconds of paced audio). */
  static final int MAX_QUEUED_BYTES = 2 * 1024 * 1024;
  /** The personality of a new conversation. */
  static final String DEFAULT_PERSONALITY = "assistant";

  /** Builds sessions; implemented where the engines are assembled. */
  public interface SessionFactory {
    VoiceSession create(Context context, VoiceSettings settings, Consumer<VoiceEvent> events,
                        UUID conversationId, List<ChatMessage> history, int inputRate, int outputRate);
  }

  private final Vertx vertx;
  private final JWTAuth jwt;
  private final DeletedAccounts deleted;
  /** Where a session's client is (the handshake's address): its tools' writes are audited with it. */
  private final ClientIp clientIp;
  private final ConversationStore log;
  private final SessionFactory sessions;
  private final VoiceOptions config;
  private final Map<UUID, AtomicInteger> perUser = new ConcurrentHashMap<>();
  /** The cluster's view (per-user cap, resume on any node), or null for this node alone. */
  private final VoiceSessions cluster;
  private final ResumeRegistry resumable;
  /** Open connections (read by the metrics on the scrape's thread, and by account deletions). */
  private final Set<RealtimeConnection> connections = ConcurrentHashMap.newKeySet();
  private final VoiceMetrics metrics;
  private final RealtimeConnection.Shared shared;

  /** The handshake rate limit (the voice class), see {@link #limitHandshakes}. */
  private Function<UUID, Future<Boolean>> handshakes = u -> Future.succeededFuture(true);

  public RealtimeEndpoint(Vertx vertx, JWTAuth jwt, DeletedAccounts deleted, ConversationStore log,
                          SessionFactory sessions, PersonalPrompts prompts, VoiceOptions config,
                          MeterRegistry registry, RedisAPI redis,
                          ClientIp clientIp, RealtimeConnection.SessionTools serverTools, UnaryOperator<String> voices,
                          BooleanSupplier semanticVad) {
    this.vertx = vertx;
    this.jwt = jwt;
    this.deleted = deleted;
    this.clientIp = clientIp;
    this.log = log;
    this.sessions = sessions;
    this.config = config;
    this.cluster = redis == null ? null : new VoiceSessions(vertx, redis, config.maxSessionsPerUser());
    this.resumable = new ResumeRegistry(cluster, config.sessionGrace());
    this.metrics = new VoiceMetrics(registry, connections::size,
        () -> connections.stream().filter(RealtimeConnection::responding).count());
    this.shared = new RealtimeConnection.Shared(vertx, config, sessions, prompts, log, resumable, metrics,
        new SecureRandom(), new AtomicLong(), serverTools, voices,
        // Without an end-of-turn model semantic_vad is refused (unsupported_value, the rest of the
        // update applied), never run as server VAD under its name.
        semanticVad);
  }

  public void handshake(ServerWebSocketHandshake h) {
    String token = RealtimeHandshake.accessToken(h.headers());
    if (token == null) {
      h.reject(401);
      return;
    }
    jwt.authenticate(new TokenCredentials(token)).onComplete(ar -> {
      if (ar.failed()) {
        h.reject(401);
        return;
      }
      UUID user;
      try {
        user = UUID.fromString(ar.result().principal().getString("sub"));
      } catch (RuntimeException e) {
        h.reject(401); // a token without a user id
        return;
      }
      if (deleted.isDeleted(user)) {
        h.reject(401); // a deleted account's token, still unexpired: nothing opens for it, new or resumed
        return;
      }
      // A handshake counts in the voice class like /v1/audio/*: each one may create a conversation.
      handshakes.apply(user).onComplete(admitted -> {
        if (admitted.failed() || !admitted.result()) {
          h.reject(429);
          return;
        }
        accept(h, user);
      });
    });
  }

  /** A handshake of {@code user} within their rate limit: their session count, the cluster's lease, the conversation. */
  private void accept(ServerWebSocketHandshake h, UUID user) {
    AtomicInteger count = perUser.computeIfAbsent(user, k -> new AtomicInteger());
    if (count.incrementAndGet() > config.maxSessionsPerUser()) {
      release(user, count, null);
      h.reject(429);
      return;
    }
    String resume = RealtimeHandshake.resumeToken(h.query());
    String conversation = RealtimeHandshake.queryParam(h.query(), "conversation");
    // ?model= is accepted and not read (one pipeline serves every model name); ?intent=transcription
    // starts a session that only transcribes.
    boolean transcription = "transcription".equals(RealtimeHandshake.queryParam(h.query(), "intent"));
    String sessionId = UUID.randomUUID().toString();
    String ip = clientIp.of(h.headers(), h.remoteAddress());
    Future<Optional<Boolean>> lease = cluster == null ? Future.succeededFuture(Optional.empty())
        : cluster.acquire(user, sessionId);
    lease.onComplete(l -> {
      if (l.succeeded() && l.result().isPresent() && !l.result().get()) {
        release(user, count, null);
        h.reject(429); // the user's maximum is open on the cluster's nodes together
        return;
      }
      ContinuedConversation.find(log, user, conversation, config.contextMessages()).onComplete(c -> {
        if (c.failed() || c.result().isEmpty()) {
          release(user, count, sessionId);
          // not theirs, unknown, or not readable now: refused, never a new conversation in its place
          h.reject(c.failed() ? 503 : 404);
          return;
        }
        h.accept().onComplete(ws -> {
          if (ws.failed()) {
            release(user, count, sessionId);
            return;
          }
          open(ws.result(), user, ip, count, resume, c.result().get(), sessionId, transcription);
        });
      });
    });
  }

  /** Counts each handshake in the user's voice-class budget (true: within it); all admitted until set. */
  public void limitHandshakes(Function<UUID, Future<Boolean>> admit) {
    this.handshakes = admit;
  }

  /** One session of {@code user} fewer: its count (dropped at zero) and its cluster lease. */
  private void release(UUID user, AtomicInteger count, String sessionId) {
    if (count.decrementAndGet() <= 0) {
      perUser.remove(user, count);
    }
    if (cluster != null && sessionId != null) {
      cluster.release(user, sessionId);
    }
  }

  /**
   * An account was deleted, on this node or another (CallService announces it cluster-wide): its
   * open sessions are told and closed, and none of them can be resumed.
   */
  public void userDeleted(UUID user) {
    resumable.forget(user);
    for (RealtimeConnection c : connections) {
      if (c.user().equals(user)) {
        c.context().runOnContext(v -> c.accountDeleted());
      }
    }
  }

  /** Stops renewing this node's session leases and gives them back (shutdown). */
  public void close() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private void open(ServerWebSocket ws, UUID user, String ip, AtomicInteger count, String resumeToken,
                    ContinuedConversation continued, String sessionId, boolean transcription) {
    // Clients send their first events the moment the socket opens (the SDKs' session.update), before
    // the conversation is looked up or stored: held unread until RealtimeConnection.start sets the handlers.
    ws.pause();
    ws.setWriteQueueMaxSize(MAX_QUEUED_BYTES);
    RealtimeConnection c = new RealtimeConnection(ws, user, ip, vertx.getOrCreateContext(), shared);
    connections.add(c);
    ws.closeHandler(v -> {
      connections.remove(c);
      release(user, count, sessionId);
      c.close();
    });
    if (resumeToken == null) {
      start(c, null, null, continued, transcription);
      return;
    }
    resumable.take(resumeToken).onComplete(ar -> start(c, resumeToken, ar.result().orElse(null), continued,
        transcription));
  }

  private void start(RealtimeConnection c, String resumeToken, ResumeRegistry.Resumable previous,
                     ContinuedConversation continued, boolean transcription) {
    if (previous != null && previous.current(c.user())) {
      log.recent(previous.conversationId(), config.contextMessages()).onComplete(ar -> {
        List<ChatMessage> history = ar.succeeded() ? ar.result().stream()
            .map(ToolTurns::chat).toList() : List.of();
        c.start(previous.conversationId(), history, RealtimeSessionConfig.resumed(config, previous.session(),
            DEFAULT_PERSONALITY, DEFAULT_RATE, shared.voices()), true);
      });
      return;
    }
    if (resumeToken != null) {
      c.error("resume_failed", "the session to resume has expired or is unknown; a new one was started", "resume", null);
    }
    if (continued.id() != null) {
      c.start(continued.id(), continued.history(), intent(RealtimeSessionConfig.initial(config,
          continued.personality(), continued.instructions(), true, DEFAULT_RATE), transcription), false);
      return;
    }
    log.start(c.user(), DEFAULT_PERSONALITY).onComplete(ar -> {
      if (ar.failed()) {
        c.error("server_error", "conversations cannot be stored right now: " + ar.cause().getMessage(), null, null);
        c.close((short) 1011, "storage unavailable");
        return;
      }
      c.start(ar.result(), List.of(),
          intent(RealtimeSessionConfig.initial(config, DEFAULT_PERSONALITY, null, true, DEFAULT_RATE), transcription),
          false);
    });
  }

  /** A new session's configuration as the handshake's {@code ?intent=} asks. */
  private static RealtimeSessionConfig intent(RealtimeSessionConfig initial, boolean transcription) {
    return transcription ? initial.transcriptionOnly() : initial;
  }
}
