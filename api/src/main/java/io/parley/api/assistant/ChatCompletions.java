package io.parley.api.assistant;

import io.parley.api.assistant.context.PersonalPrompts;
import io.parley.api.http.ApiError;
import io.parley.api.http.ApiProblem;
import io.parley.api.http.Authenticator;
import io.parley.api.http.Responses;
import io.parley.core.Ids;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.core.voice.ConversationLog;
import io.parley.inference.llm.ChatModel;
import io.parley.inference.llm.ChatRequest;
import io.parley.inference.voice.ModelRounds;
import io.parley.inference.voice.PromptContext;
import io.parley.inference.voice.ResponseRounds;
import io.parley.inference.voice.ToolRunner;
import io.parley.inference.voice.ToolSettings;
import io.parley.inference.voice.VoiceEvent;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/chat/completions}: the client's messages answered under Parley's system prompt
 * (ground rules, tone, the client's system messages, the user's personal context), streamed as
 * server-sent events or whole. The answer runs in rounds as a realtime answer does
 * ({@link ResponseRounds}, {@link ModelRounds}): Parley's server tools are offered next to the
 * client's {@code tools} unless the body says {@code "parley": {"tools": false}}, run with the
 * caller's own permissions (writes only with {@code confirm: true}), their results go back to the
 * model in the next request, and the exchange is stored in a new conversation of the user's
 * ({@link ChatDialogue}), whose id the last chunk (or the completion) carries in
 * {@code parley.conversation_id}; the client sees only the answer. A call of one of the client's
 * tools streams back to the client as OpenAI's {@code tool_calls} and ends the answer.
 *
 * @see <a href="https://platform.openai.com/docs/api-reference/chat/create">Create chat completion</a>
 */
final class ChatCompletions {

  private static final Logger LOG = LoggerFactory.getLogger(ChatCompletions.class);

  private final VoiceServices voice;
  private final Ids ids;
  private final PersonalPrompts prompts;
  private final ConversationLog conversations;
  private final BiFunction<UUID, RoutingContext, ToolRunner> serverTools;
  private final int toolRounds;

  ChatCompletions(VoiceServices voice, Ids ids, PersonalPrompts prompts, ConversationLog conversations,
                  BiFunction<UUID, RoutingContext, ToolRunner> serverTools, int toolRounds) {
    this.voice = voice;
    this.ids = ids;
    this.prompts = prompts;
    this.conversations = conversations;
    this.serverTools = serverTools;
    this.toolRounds = toolRounds;
  }

  /** One completion: what the answer is told and what is sent back, and its model rounds. */
  private record Answer(String id, long created, String model, ChatDialogue dialogue, ResponseRounds rounds) {
    JsonObject chunk(JsonObject delta, String finish) {
      return new JsonObject().put("id", id).put("object", "chat.completion.chunk").put("created", created)
          .put("model", model).put("choices", new JsonArray().add(new JsonObject().put("index", 0)
              .put("delta", delta).put("finish_reason", finish)));
    }

    /** The body's top level with Parley's own part: the stored conversation, when there is one. */
    JsonObject withParley(JsonObject out) {
      dialogue.conversationId().ifPresent(c -> out.put("parley", new JsonObject().put("conversation_id", c.toString())));
      return out;
    }
  }

  void handle(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      UUID user = Authenticator.userId(ctx);
      JsonObject body = ApiProblem.jsonObject(ctx);
      ChatRequest asked;
      boolean serverToolsOn;
      try {
        asked = OpenAiChatRequests.parse(body);
        serverToolsOn = OpenAiChatRequests.serverTools(body);
      } catch (ApiProblem problem) {
        ApiError.sendOpenAi(ctx, problem);
        return;
      }
      ChatModel model = voice.chatModel().orElseThrow(() -> new ParleyException(Reason.UNAVAILABLE,
          voice.chatModelMissing()));
      ChatDialogue dialogue = new ChatDialogue(asked, user, conversations);
      ResponseRounds rounds = new ResponseRounds(
          new ToolSettings(asked.tools(), asked.toolChoice(), serverToolsOn, toolRounds),
          serverToolsOn ? serverTools.apply(user, ctx) : ToolRunner.NONE, dialogue, ids::requestId);
      Answer answer = new Answer("chatcmpl-" + ids.requestId(), System.currentTimeMillis() / 1000, model.model(),
          dialogue, rounds);
      // An answer goes ahead without the personal context if it cannot be read.
      PromptContext personal = query -> prompts.render(user, query).recover(e -> {
        LOG.warn("assistant: personal context of user {} unavailable: {}", user, e.toString());
        return Future.succeededFuture("");
      });
      Context context = ctx.vertx().getOrCreateContext();
      if (Boolean.TRUE.equals(body.getValue("stream"))) {
        stream(ctx, context, model, answer, personal);
      } else {
        whole(ctx, context, model, answer, personal);
      }
    });
  }

  private static JsonObject callDelta(int index, JsonObject call) {
    return new JsonObject().put("tool_calls", new JsonArray().add(call.put("index", index)));
  }

  private static String finish(String finishReason) {
    return "cancelled".equals(finishReason) ? "stop" : finishReason;
  }

  /**
   * Streams the completion as OpenAI does: a role chunk, content deltas, and for each call of a
   * client tool a chunk with its index, id, type and name (arguments empty) followed by chunks of
   * argument pieces; the last chunk carries the finish reason ({@code tool_calls} after client
   * calls) once the exchange is stored, then {@code [DONE]}. Server tool calls are not shown.
   */
  private static void stream(RoutingContext ctx, Context context, ChatModel model, Answer answer,
                             PromptContext personal) {
    HttpServerResponse res = ctx.response();
    res.setChunked(true)
        .putHeader("Content-Type", "text/event-stream")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no");
    Consumer<JsonObject> send = chunk -> {
      if (!res.closed() && !res.ended()) {
        res.write("data: " + chunk.encode() + "\n\n");
      }
    };
    send.accept(answer.chunk(new JsonObject().put("role", "assistant").put("content", ""), null));
    // The client's calls, numbered in the order they start (OpenAI's tool_calls index).
    Map<String, Integer> index = new HashMap<>();
    Set<String> argued = new HashSet<>();
    Consumer<VoiceEvent> clientCalls = e -> {
      switch (e) {
        case VoiceEvent.FunctionCallStarted s -> {
          index.put(s.callId(), index.size());
          send.accept(answer.chunk(callDelta(index.get(s.callId()), new JsonObject().put("id", s.callId())
              .put("type", "function").put("function", new JsonObject().put("name", s.name()).put("arguments", ""))),
              null));
        }
        case VoiceEvent.FunctionCallArguments a -> {
          argued.add(a.callId());
          send.accept(answer.chunk(callDelta(index.get(a.callId()), new JsonObject().put("function",
              new JsonObject().put("arguments", a.delta()))), null));
        }
        case VoiceEvent.FunctionCallDone d when !argued.contains(d.call().callId()) ->
            // a model that reports a call whole: its arguments in one piece
            send.accept(answer.chunk(callDelta(index.get(d.call().callId()), new JsonObject().put("function",
                new JsonObject().put("arguments", d.call().arguments()))), null));
        default -> { }
      }
    };
    ModelRounds run = new ModelRounds(answer.id(), context, model, answer.rounds(), clientCalls, new ModelRounds.Listener() {
      @Override
      public void text(String piece) {
        send.accept(answer.chunk(new JsonObject().put("content", piece), null));
      }

      @Override
      public void finished(String finishReason, String lastRoundText) {
        answer.dialogue().answered(lastRoundText);
        answer.dialogue().stored().onComplete(ar -> {
          send.accept(answer.withParley(answer.chunk(new JsonObject(), finish(finishReason))));
          if (!res.closed() && !res.ended()) {
            res.end("data: [DONE]\n\n");
          }
        });
      }

      @Override
      public void failed(Throwable error) {
        send.accept(new JsonObject().put("error", new JsonObject().put("code", "unavailable")
            .put("type", "server_error").put("message", "the model failed: " + error.getMessage())));
        if (!res.closed() && !res.ended()) {
          res.end();
        }
      }
    });
    // A client that goes away stops the model (and the calls not yet started).
    res.closeHandler(v -> run.interrupt());
    answer.rounds().prepare(personal, context, () -> !res.closed(), run::start);
  }

  /** The whole completion as one {@code chat.completion}; the client's calls in {@code message.tool_calls}. */
  private static void whole(RoutingContext ctx, Context context, ChatModel model, Answer answer,
                            PromptContext personal) {
    StringBuilder text = new StringBuilder();
    JsonArray calls = new JsonArray();
    Consumer<VoiceEvent> clientCalls = e -> {
      if (e instanceof VoiceEvent.FunctionCallDone d) {
        calls.add(new JsonObject().put("id", d.call().callId()).put("type", "function").put("function",
            new JsonObject().put("name", d.call().name()).put("arguments", d.call().arguments())));
      }
    };
    ModelRounds run = new ModelRounds(answer.id(), context, model, answer.rounds(), clientCalls, new ModelRounds.Listener() {
      @Override
      public void text(String piece) {
        text.append(piece);
      }

      @Override
      public void finished(String finishReason, String lastRoundText) {
        answer.dialogue().answered(lastRoundText);
        answer.dialogue().stored().onComplete(ar -> {
          JsonObject message = new JsonObject().put("role", "assistant")
              .put("content", text.isEmpty() && !calls.isEmpty() ? null : text.toString());
          if (!calls.isEmpty()) {
            message.put("tool_calls", calls);
          }
          ctx.response().putHeader("Content-Type", "application/json").end(answer.withParley(new JsonObject()
              .put("id", answer.id()).put("object", "chat.completion").put("created", answer.created())
              .put("model", answer.model())
              .put("choices", new JsonArray().add(new JsonObject().put("index", 0).put("message", message)
                  .put("finish_reason", finish(finishReason))))).encode());
        });
      }

      @Override
      public void failed(Throwable error) {
        ctx.fail(new ParleyException(Reason.UNAVAILABLE, "the model failed: " + error.getMessage(), error));
      }
    });
    ctx.response().closeHandler(v -> run.interrupt());
    answer.rounds().prepare(personal, context, () -> !ctx.response().closed(), run::start);
  }
}
