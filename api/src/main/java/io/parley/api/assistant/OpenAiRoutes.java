package io.parley.api.assistant;

import io.vertx.ext.web.Router;

/**
 * OpenAI-compatible endpoints under {@code /v1}, so that existing OpenAI clients work with Parley by
 * changing their base URL: chat completions ({@link ChatCompletions}) and the audio endpoints
 * ({@link AudioRoutes}). Authentication is Parley's access token, sent the way the OpenAI clients
 * send their API key ({@code Authorization: Bearer}). Errors keep Parley's error shape, whose
 * {@code error.message} and {@code error.code} the OpenAI clients read.
 *
 * @see <a href="https://platform.openai.com/docs/api-reference/chat/create">Create chat completion</a>
 */
final class OpenAiRoutes {

  private final ChatCompletions chat;
  private final AudioRoutes audio;

  OpenAiRoutes(ChatCompletions chat, AudioRoutes audio) {
    this.chat = chat;
    this.audio = audio;
  }

  void mount(Router router) {
    router.post("/v1/chat/completions").handler(chat::handle);
    audio.mount(router);
  }
}
