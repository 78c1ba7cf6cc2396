package io.parley.api.assistant;

import io.parley.api.assistant.context.PersonalPrompts;
import io.parley.api.assistant.memory.MemoryRoutes;
import io.parley.api.assistant.memory.MemoryStore;
import io.parley.api.http.Feature;
import io.parley.api.http.RateLimiter.LimitClass;
import io.parley.api.http.RouteSpec;
import io.parley.api.http.RouteSpec.Body;
import io.parley.core.Ids;
import io.vertx.core.Handler;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import java.util.List;
import java.util.Map;

/**
 * The assistant's HTTP side: the stored conversations ({@code /api/v1/conversations*}), the user's
 * memories ({@code /api/v1/memories*}), the
 * OpenAI-compatible {@code /v1/chat/completions} (chat class) and {@code /v1/audio/*} (voice class;
 * transcription uploads go to disk), and the OpenAI Realtime WebSocket {@code /v1/realtime}.
 */
public final class AssistantFeature implements Feature {

  private final VoiceServices voice;
  private final ConversationStore conversations;
  private final MemoryStore memories;
  private final PersonalPrompts prompts;
  private final RealtimeEndpoint realtime;
  private final Ids ids;

  public AssistantFeature(VoiceServices voice, ConversationStore conversations, MemoryStore memories,
                          PersonalPrompts prompts, RealtimeEndpoint realtime, Ids ids) {
    this.voice = voice;
    this.conversations = conversations;
    this.memories = memories;
    this.prompts = prompts;
    this.realtime = realtime;
    this.ids = ids;
  }

  @Override
  public void mountContract(RouterBuilder contract) {
    new ConversationRoutes(conversations).mount(contract);
    new MemoryRoutes(memories).mount(contract);
  }

  @Override
  public void mount(Router router) {
    new OpenAiRoutes(voice, ids, prompts).mount(router);
    new AudioRoutes(voice).mount(router);
  }

  @Override
  public Map<String, Handler<ServerWebSocketHandshake>> webSockets() {
    return Map.of(RealtimeEndpoint.PATH, realtime::handshake);
  }

  @Override
  public List<RouteSpec> specs() {
    return List.of(
        RouteSpec.under("/v1/chat/", LimitClass.CHAT),
        RouteSpec.under("/v1/audio/", LimitClass.VOICE),
        RouteSpec.exact(AudioRoutes.TRANSCRIPTIONS, LimitClass.VOICE).reading(Body.AUDIO));
  }
}
