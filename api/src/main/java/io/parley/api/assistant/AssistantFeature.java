package io.parley.api.assistant;

import io.parley.api.http.Feature;
import io.parley.api.http.RateLimiter.LimitClass;
import io.parley.api.http.RouteSpec;
import io.parley.api.http.RouteSpec.Body;
import io.parley.api.voice.VoiceServices;
import io.parley.core.Ids;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import java.util.List;

/**
 * The assistant's HTTP side: the stored conversations ({@code /api/v1/conversations*}) and the
 * OpenAI-compatible {@code /v1/chat/completions} (chat class) and {@code /v1/audio/*} (voice class;
 * transcription uploads go to disk). The realtime WebSocket is wired beside it.
 */
public final class AssistantFeature implements Feature {

  private final VoiceServices voice;
  private final ConversationStore conversations;
  private final Ids ids;

  public AssistantFeature(VoiceServices voice, ConversationStore conversations, Ids ids) {
    this.voice = voice;
    this.conversations = conversations;
    this.ids = ids;
  }

  @Override
  public void mountContract(RouterBuilder contract) {
    new ConversationRoutes(conversations).mount(contract);
  }

  @Override
  public void mount(Router router) {
    new OpenAiRoutes(voice, ids).mount(router);
  }

  @Override
  public List<RouteSpec> specs() {
    return List.of(
        RouteSpec.under("/v1/chat/", LimitClass.CHAT),
        RouteSpec.under("/v1/audio/", LimitClass.VOICE),
        RouteSpec.exact(OpenAiRoutes.TRANSCRIPTIONS, LimitClass.VOICE).reading(Body.AUDIO));
  }
}
