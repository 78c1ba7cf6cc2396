package io.parley.api.assistant;

import io.parley.api.assistant.VoiceServices;
import io.parley.core.Ids;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.inference.llm.ChatModel;
import io.parley.inference.llm.ChatRequest;
import io.parley.inference.llm.ToolCall;
import io.parley.inference.llm.Personality;
import io.parley.api.assistant.context.PersonalPrompts;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.parley.api.http.Responses;
import io.parley.api.http.Authenticator;
import io.parley.api.http.ApiError;
import io.parley.api.http.ApiProblem;

/**
 * OpenAI-compatible chat completions under {@code /v1}, so that existing OpenAI clients work with
 * Parley by changing their base URL: streamed as server-sent events, or whole (the audio endpoints
 * are {@link AudioRoutes}). Authentication is Parley's access token, sent the way the OpenAI
 * clients send their API key ({@code Authorization: Bearer}). Errors keep Parley's error shape, whose
 * {@code error.message} and {@code error.code} the OpenAI clients read.
 *
 * @see <a href="https://platform.openai.com/docs/api-reference/chat/create">Create chat completion</a>
 */
public final class OpenAiRoutes {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OpenAiRoutes.class);

  private final VoiceServices voice;
  private final Ids ids;
  private final PersonalPrompts prompts;

  public OpenAiRoutes(VoiceServices voice, Ids ids, PersonalPrompts prompts) {
    this.voice = voice;
    this.ids = ids;
    this.prompts = prompts;
  }

  public void mount(Router router) {
    router.post("/v1/chat/completions").handler(this::chat);
  }

  private void chat(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      java.util.UUID user = Authenticator.userId(ctx);
      JsonObject body;
      try {
        body = ctx.body().asJsonObject();
      } catch (RuntimeException e) {
        throw ApiProblem.field("/", "type", "the body must be a JSON object");
      }
      if (body == null) {
        throw ApiProblem.field("/", "type", "the body must be a JSON object");
      }
      ChatRequest asked;
      try {
        asked = OpenAiChatRequests.parse(body);
      } catch (ApiProblem problem) {
        ApiError.sendOpenAi(ctx, problem);
        return;
      }
      ChatModel model = voice.chatModel().orElseThrow(() -> new ParleyException(Reason.UNAVAILABLE,
          voice.chatModelMissing()));
      boolean stream = Boolean.TRUE.equals(body.getValue("stream"));
      String id = "chatcmpl-" + ids.requestId();
      long created = System.currentTimeMillis() / 1000;
      String modelName = model.model();
      // Parley's system prompt first (ground rules, tone), the client's system messages under it,
      // then the user's personal context; an answer goes ahead without that context if it cannot be read.
      prompts.render(user, PersonalPrompts.lastUserText(asked.messages())).recover(e -> {
        LOG.warn("assistant: personal context of user {} unavailable: {}", user, e.toString());
        return io.vertx.core.Future.succeededFuture("");
      }).onSuccess(personal -> {
        ChatRequest request = new ChatRequest(PersonalPrompts.chat(Personality.ASSISTANT, asked.messages(), personal),
            asked.maxTokens(), asked.temperature()).withTools(asked.tools(), asked.toolChoice());
        if (stream) {
          stream(ctx, model, request, id, created, modelName);
        } else {
          whole(ctx, model, request, id, created, modelName);
        }
      });
    });
  }

  private static JsonObject chunk(String id, long created, String model, JsonObject delta, String finish) {
    return new JsonObject().put("id", id).put("object", "chat.completion.chunk").put("created", created)
        .put("model", model).put("choices", new JsonArray().add(new JsonObject().put("index", 0)
            .put("delta", delta).put("finish_reason", finish)));
  }

  private static JsonObject callDelta(int index, JsonObject call) {
    return new JsonObject().put("tool_calls", new JsonArray().add(call.put("index", index)));
  }

  /**
   * Streams the completion as OpenAI does: a role chunk, content deltas, and for each tool call a
   * chunk with its index, id, type and name (arguments empty) followed by chunks of argument pieces;
   * the last chunk carries the finish reason ({@code tool_calls} after calls), then {@code [DONE]}.
   */
  private static void stream(RoutingContext ctx, ChatModel model, ChatRequest request, String id, long created,
                             String modelName) {
    HttpServerResponse res = ctx.response();
    res.setChunked(true)
        .putHeader("Content-Type", "text/event-stream")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no");
    res.write("data: " + chunk(id, created, modelName, new JsonObject().put("role", "assistant").put("content", ""),
        null).encode() + "\n\n");
    var context = ctx.vertx().getOrCreateContext();
    ChatModel.Completion[] running = new ChatModel.Completion[1];
    // A client that goes away stops the model.
    res.closeHandler(v -> {
      if (running[0] != null) {
        running[0].cancel();
      }
    });
    running[0] = model.stream(request, new ChatModel.Sink() {
      /** Writes a chunk on the request's context (sink calls may come from a model's worker thread). */
      private void send(JsonObject delta, String finish) {
        context.runOnContext(v -> {
          if (!res.closed() && !res.ended()) {
            res.write("data: " + chunk(id, created, modelName, delta, finish).encode() + "\n\n");
            if (finish != null) {
              res.end("data: [DONE]\n\n");
            }
          }
        });
      }

      @Override
      public void piece(String text) {
        send(new JsonObject().put("content", text), null);
      }

      @Override
      public void toolCallStarted(int index, String callId, String name) {
        send(callDelta(index, new JsonObject().put("id", callId).put("type", "function")
            .put("function", new JsonObject().put("name", name).put("arguments", ""))), null);
      }

      @Override
      public void toolCallArguments(int index, String delta) {
        send(callDelta(index, new JsonObject().put("function", new JsonObject().put("arguments", delta))), null);
      }

      @Override
      public void done(String finishReason) {
        send(new JsonObject(), "cancelled".equals(finishReason) ? "stop" : finishReason);
      }

      @Override
      public void failed(Throwable error) {
        context.runOnContext(v -> {
          if (!res.closed() && !res.ended()) {
            res.write("data: " + new JsonObject().put("error", new JsonObject().put("code", "unavailable")
                .put("type", "server_error").put("message", "the model failed: " + error.getMessage())).encode()
                + "\n\n");
            res.end();
          }
        });
      }
    });
  }

  /** The whole completion as one {@code chat.completion}; tool calls in {@code message.tool_calls}. */
  private static void whole(RoutingContext ctx, ChatModel model, ChatRequest request, String id, long created,
                            String modelName) {
    // Touched on the request's context only: each sink call hops there, in order.
    StringBuilder text = new StringBuilder();
    JsonArray calls = new JsonArray();
    var context = ctx.vertx().getOrCreateContext();
    model.stream(request, new ChatModel.Sink() {
      @Override
      public void piece(String piece) {
        context.runOnContext(v -> text.append(piece));
      }

      @Override
      public void toolCallDone(int index, ToolCall call) {
        context.runOnContext(v -> calls.add(new JsonObject().put("id", call.id()).put("type", "function")
            .put("function", new JsonObject().put("name", call.name()).put("arguments", call.arguments()))));
      }

      @Override
      public void done(String finishReason) {
        context.runOnContext(v -> {
          JsonObject message = new JsonObject().put("role", "assistant")
              .put("content", text.isEmpty() && !calls.isEmpty() ? null : text.toString());
          if (!calls.isEmpty()) {
            message.put("tool_calls", calls);
          }
          ctx.response().putHeader("Content-Type", "application/json").end(new JsonObject()
              .put("id", id).put("object", "chat.completion").put("created", created).put("model", modelName)
              .put("choices", new JsonArray().add(new JsonObject().put("index", 0).put("message", message)
                  .put("finish_reason", "cancelled".equals(finishReason) ? "stop" : finishReason)))
              .encode());
        });
      }

      @Override
      public void failed(Throwable error) {
        context.runOnContext(v -> ctx.fail(new ParleyException(Reason.UNAVAILABLE,
            "the model failed: " + error.getMessage(), error)));
      }
    });
  }
}
