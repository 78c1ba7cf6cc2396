package io.parley.api.assistant;

import io.micrometer.core.instrument.MeterRegistry;
import io.parley.api.accounts.AuditLog;
import io.parley.api.accounts.DeletedAccounts;
import io.parley.api.accounts.ExpertStore;
import io.parley.api.accounts.UserStore;
import io.parley.api.assistant.context.PersonalContextLoader;
import io.parley.api.assistant.context.PersonalPrompts;
import io.parley.api.assistant.memory.Embeddings;
import io.parley.api.assistant.memory.MemoryRoutes;
import io.parley.api.assistant.memory.MemoryStore;
import io.parley.api.assistant.memory.OpenAiEmbeddings;
import io.parley.api.assistant.tools.HealthTools;
import io.parley.api.assistant.tools.MemoryTools;
import io.parley.api.assistant.tools.ServerTool;
import io.parley.api.assistant.tools.ServerTools;
import io.parley.api.calls.AppointmentStore;
import io.parley.api.calls.CallService;
import io.parley.api.http.ClientIp;
import io.parley.api.http.Feature;
import io.parley.api.http.RateLimiter.LimitClass;
import io.parley.api.http.RouteSpec;
import io.parley.api.http.RouteSpec.Body;
import io.parley.api.meals.MealStore;
import io.parley.api.meals.foods.Foods;
import io.parley.core.Ids;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.redis.client.RedisAPI;
import io.vertx.sqlclient.Pool;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiFunction;
import io.parley.inference.voice.ToolRunner;

/**
 * The assistant's HTTP side: the stored conversations ({@code /api/v1/conversations*}), the user's
 * memories ({@code /api/v1/memories*}), the
 * OpenAI-compatible {@code /v1/chat/completions} (chat class) and {@code /v1/audio/*} (voice class;
 * transcription uploads read into memory within PARLEY_AUDIO_UPLOAD_MEMORY), and the OpenAI
 * Realtime WebSocket {@code /v1/realtime}.
 */
public final class AssistantFeature implements Feature {

  /** The rate-limit class and body handling of the assistant's OpenAI-compatible routes. */
  public static final List<RouteSpec> SPECS = List.of(
      RouteSpec.under("/v1/chat/", LimitClass.CHAT),
      RouteSpec.under("/v1/audio/", LimitClass.VOICE),
      RouteSpec.exact(AudioRoutes.TRANSCRIPTIONS, LimitClass.VOICE).reading(Body.AUDIO));

  /** What the assistant reads from the rest of the node: its storage, who is signed in, and the data its tools act on. */
  public record Needs(Vertx vertx, Path models, Pool pool, RedisAPI redis, JWTAuth jwt, DeletedAccounts deleted,
                      Ids ids, Clock clock, MeterRegistry registry, UserStore users, MealStore meals, Foods foods,
                      ExpertStore experts, CallService calls, AuditLog audit, ClientIp clientIp,
                      java.util.function.Function<UUID, Future<Boolean>> voiceHandshakes,
                      io.parley.api.engines.NativeEngines engines) {}

  private final VoiceServices voice;
  private final ConversationStore conversations;
  private final MemoryStore memories;
  private final PersonalPrompts prompts;
  private final ServerTools tools;
  private final RealtimeEndpoint realtime;
  private final ConversationRetention retention;
  private final Ids ids;
  /** The server tools as a chat completion runs them: for its user, from its client IP and request. */
  private final BiFunction<UUID, RoutingContext, ToolRunner> serverTools;
  private final int toolRounds;
  private final AuditLog audit;

  private AssistantFeature(VoiceServices voice, ConversationStore conversations, MemoryStore memories,
                           PersonalPrompts prompts, ServerTools tools, RealtimeEndpoint realtime,
                           ConversationRetention retention, Ids ids, int toolRounds, AuditLog audit) {
    this.voice = voice;
    this.conversations = conversations;
    this.memories = memories;
    this.prompts = prompts;
    this.tools = tools;
    this.realtime = realtime;
    this.retention = retention;
    this.ids = ids;
    this.serverTools = (user, ctx) -> {
      AuditLog.Who who = audit.who(ctx);
      return tools.forCaller(new ServerTool.Caller(user, null, who.ip(), who.requestId()));
    };
    this.toolRounds = toolRounds;
    this.audit = audit;
  }

  /**
   * Starts the voice engines, the embeddings client (when configured), the stores of conversations
   * and memories, the personal context, the
   * server tools and the realtime endpoint; each part that must stop is pushed on {@code closers}
   * (closed last in, first out: the endpoint before the retention purge before the engines).
   */
  public static AssistantFeature start(Needs n, VoiceOptions voiceOptions, AssistantOptions options,
                                       Deque<AutoCloseable> closers) {
    VoiceServices voice = VoiceSetup.start(n.vertx(), voiceOptions, n.models(), n.registry(), n.engines());
    closers.push(voice);
    Embeddings embeddings = options.embeddings().<Embeddings>map(settings -> {
      OpenAiEmbeddings client = new OpenAiEmbeddings(n.vertx(), settings, n.registry());
      closers.push(client);
      return client;
    }).orElse(Embeddings.NONE);
    ConversationStore conversations = new ConversationStore(n.pool(), n.ids(), embeddings);
    MemoryStore memories = new MemoryStore(n.pool(), n.ids(), embeddings);
    PersonalPrompts prompts = new PersonalPrompts(new PersonalContextLoader(n.pool(), memories, n.clock()),
        options.contextTokens());
    ConversationRetention retention = options.retention().map(days -> {
      ConversationRetention r = new ConversationRetention(n.vertx(), conversations, days, n.clock());
      closers.push(r);
      return r;
    }).orElse(null);
    List<ServerTool> all = new ArrayList<>(new HealthTools(n.users(), n.meals(), n.foods(), n.experts(),
        new AppointmentStore(n.pool()), n.calls(), n.ids(), n.clock()).all());
    all.addAll(new MemoryTools(memories, conversations).all());
    ServerTools tools = new ServerTools(all, voiceOptions.toolTimeout(), n.audit());
    RealtimeEndpoint realtime = new RealtimeEndpoint(n.vertx(), n.jwt(), n.deleted(), conversations,
        (context, settings, events, conversationId, history, inputRate, outputRate) -> voice.session(n.vertx(),
            context, voiceOptions, settings, events, conversations, conversationId, history, inputRate, outputRate),
        prompts, voiceOptions, n.registry(), n.redis(), n.clientIp(), tools::forSession, voice::voiceName,
        () -> voice.semanticTurns().isPresent());
    realtime.limitHandshakes(n.voiceHandshakes());
    closers.push(realtime::close);
    n.deleted().onDeleted(realtime::userDeleted);
    return new AssistantFeature(voice, conversations, memories, prompts, tools, realtime, retention, n.ids(),
        voiceOptions.toolRounds(), n.audit());
  }

  /** The voice engines of this node. */
  public VoiceServices voice() {
    return voice;
  }

  /** The personal context every answer's prompt carries. */
  public PersonalPrompts prompts() {
    return prompts;
  }

  /** The server tools the assistant's sessions run for their users. */
  public ServerTools tools() {
    return tools;
  }

  /** The conversation retention purge, when PARLEY_CONVERSATION_RETENTION_DAYS is set. */
  public Optional<ConversationRetention> retention() {
    return Optional.ofNullable(retention);
  }

  @Override
  public void mountContract(RouterBuilder contract) {
    new ConversationRoutes(conversations, audit).mount(contract);
    new MemoryRoutes(memories, audit).mount(contract);
  }

  @Override
  public void mount(Router router) {
    new OpenAiRoutes(new ChatCompletions(voice, ids, prompts, conversations, serverTools, toolRounds),
        new AudioRoutes(voice)).mount(router);
  }

  @Override
  public Map<String, Handler<ServerWebSocketHandshake>> webSockets() {
    return Map.of(RealtimeEndpoint.PATH, realtime::handshake);
  }

  @Override
  public List<RouteSpec> specs() {
    return SPECS;
  }
}
