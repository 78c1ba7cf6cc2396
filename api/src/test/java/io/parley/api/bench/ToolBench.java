package io.parley.api.bench;

import io.parley.api.assistant.tools.ServerTools;
import io.parley.api.support.Api;
import io.parley.api.support.TestNode;
import io.parley.inference.llm.ToolCall;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The server tools' own time on the embedded stores: from the model's tool call to the result text
 * that goes back to the model (what a voice answer waits for between two model requests), for
 * each tool, p50 and p99 over {@code calls} sequential calls after a warm-up, one session's user.
 * Writes are confirmed calls; a booking is cancelled, a logged meal deleted and a remembered note
 * (new words each time) forgotten by its id by the next call, so the user's data stays the same size.
 *
 * <p>Run by {@code ./parley bench voice tools}: {@code rounds} rounds, each tool's p50/p99 per round,
 * medians of the rounds; also the size the user's personal context adds to each answer's prompt
 * (a profile with an allergy, a meal logged today, a booking, a few memories), in tokens counted
 * as characters / 4. The last line printed is JSON.
 *
 * <pre>  java ... io.parley.api.bench.ToolBench [calls] [rounds]</pre>
 */
public final class ToolBench {

  private ToolBench() {}

  public static void main(String[] args) throws Exception {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 300;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    // The tools need the stores only: no engines loaded.
    try (TestNode node = TestNode.start(Map.of("PARLEY_VOICE_ENABLED", "false", "PARLEY_VISION_ENABLED", "false"))) {
      Api api = node.api();
      String token = api.newUser().getString("access_token");
      UUID user = UUID.fromString(api.get("/api/v1/users/me", token).json().getString("id"));
      String expertToken = api.newUser().getString("access_token");
      String expert = api.get("/api/v1/users/me", expertToken).json().getString("id");
      api.put("/api/v1/experts/me", expertToken, new JsonObject().put("display_name", "Dr Bench")
          .put("specialization", "nutritionist").put("city", "Berlin"));
      api.put("/api/v1/users/me/profile", token, new JsonObject().put("allergies", new io.vertx.core.json.JsonArray()
          .add("peanuts")).put("dietary_pref", "vegetarian"));
      ServerTools tools = node.server().serverTools();
      Bench b = new Bench(node, tools, user);
      for (int i = 0; i < 3; i++) {
        b.call("log_meal", new JsonObject().put("description", "two eggs and a slice of toast").put("confirm", true));
      }
      String at = Instant.now().truncatedTo(ChronoUnit.MINUTES).plus(2, ChronoUnit.DAYS).toString();
      for (String memory : new String[] {"trains on Tuesdays and Thursdays", "knee hurts after long runs",
          "prefers short answers in the morning"}) {
        b.call("remember", new JsonObject().put("content", memory).put("confirm", true));
      }
      String personal = node.server().personalPrompts().render(user, "what should I eat tonight?")
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      int contextTokens = (personal.length() + 3) / 4;
      Map<String, java.util.List<double[]>> results = new java.util.LinkedHashMap<>();
      // Each remembered note in words of its own (the same words would return the note already kept).
      int[] notes = {0};
      for (int round = 0; round < rounds; round++) {
        System.out.println("round " + (round + 1) + ": tool p50 ms, p99 ms (" + calls + " calls each)");
        b.report(results, "get_profile", calls, i -> new JsonObject());
        b.report(results, "get_meals", calls, i -> new JsonObject());
        b.report(results, "find_experts", calls, i -> new JsonObject().put("specialization", "nutritionist")
            .put("city", "Berlin"));
        b.report(results, "list_appointments", calls, i -> new JsonObject());
        b.report(results, "recall", calls, i -> new JsonObject().put("query", "eggs"));
        String[] meal = {null};
        b.pairs(results, "log_meal", "delete_meal", calls,
            i -> new JsonObject().put("description", "two eggs and a slice of toast").put("confirm", true),
            r -> meal[0] = r.getJsonObject("meal").getString("id"),
            i -> new JsonObject().put("id", meal[0]).put("confirm", true));
        String[] appointment = {null};
        b.pairs(results, "book_appointment", "cancel_appointment", calls,
            i -> new JsonObject().put("expert_id", expert).put("scheduled_at", at).put("duration_minutes", 15)
                .put("confirm", true),
            r -> appointment[0] = r.getJsonObject("appointment").getString("id"),
            i -> new JsonObject().put("id", appointment[0]).put("confirm", true));
        String[] memory = {null};
        b.pairs(results, "remember", "forget", calls,
            i -> new JsonObject().put("content", "bench note " + (++notes[0]) + ": walks after lunch").put("confirm", true),
            r -> memory[0] = r.getJsonObject("memory").getString("id"),
            i -> new JsonObject().put("id", memory[0]).put("confirm", true));
      }
      JsonObject out = new JsonObject().put("context_tokens", contextTokens).put("rounds", rounds).put("calls", calls);
      JsonObject byTool = new JsonObject();
      results.forEach((name, perRound) -> byTool.put(name, new io.vertx.core.json.JsonArray()
          .add(median(perRound.stream().mapToDouble(r -> r[0]).toArray()))
          .add(median(perRound.stream().mapToDouble(r -> r[1]).toArray()))));
      System.out.println(out.put("tools", byTool).encode());
    }
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return Math.round(s[s.length / 2] * 100) / 100.0;
  }

  private record Bench(TestNode node, ServerTools tools, UUID user) {

    /** One call on a Vert.x context, as a session makes it; its result and its time (ns). */
    JsonObject call(String name, JsonObject args, long[] nanos) throws Exception {
      CompletableFuture<JsonObject> done = new CompletableFuture<>();
      ToolCall call = new ToolCall("call_" + UUID.randomUUID(), name, args.encode());
      node.server().vertx().getOrCreateContext().runOnContext(v -> {
        long start = System.nanoTime();
        Future<String> text = tools.forSession(user, null, "127.0.0.1").run(call);
        text.onComplete(ar -> {
          nanos[0] = System.nanoTime() - start;
          if (ar.succeeded()) {
            done.complete(new JsonObject(ar.result()));
          } else {
            done.completeExceptionally(ar.cause());
          }
        });
      });
      JsonObject r = done.get(30, TimeUnit.SECONDS);
      if (r.containsKey("error") || r.containsKey("status")) {
        throw new IllegalStateException(name + ": " + r.encode());
      }
      return r;
    }

    JsonObject call(String name, JsonObject args) throws Exception {
      return call(name, args, new long[1]);
    }

    void report(Map<String, java.util.List<double[]>> into, String name, int calls, Function<Integer, JsonObject> args)
        throws Exception {
      long[] times = new long[calls];
      long[] t = new long[1];
      for (int i = -calls / 5; i < calls; i++) {
        call(name, args.apply(i), t);
        if (i >= 0) {
          times[i] = t[0];
        }
      }
      into.computeIfAbsent(name, k -> new java.util.ArrayList<>()).add(print(name, times));
    }

    void pairs(Map<String, java.util.List<double[]>> into, String first, String second, int calls,
               Function<Integer, JsonObject> firstArgs,
               java.util.function.Consumer<JsonObject> keep, Function<Integer, JsonObject> secondArgs) throws Exception {
      long[] a = new long[calls];
      long[] b = new long[calls];
      long[] t = new long[1];
      for (int i = -calls / 5; i < calls; i++) {
        keep.accept(call(first, firstArgs.apply(i), t));
        if (i >= 0) {
          a[i] = t[0];
        }
        call(second, secondArgs.apply(i), t);
        if (i >= 0) {
          b[i] = t[0];
        }
      }
      into.computeIfAbsent(first, k -> new java.util.ArrayList<>()).add(print(first, a));
      into.computeIfAbsent(second, k -> new java.util.ArrayList<>()).add(print(second, b));
    }

    static double[] print(String name, long[] nanos) {
      long[] s = nanos.clone();
      Arrays.sort(s);
      double p50 = s[s.length / 2] / 1e6;
      double p99 = s[(int) Math.ceil(s.length * 0.99) - 1] / 1e6;
      System.out.printf("%-20s %7.2f  %7.2f%n", name, p50, p99);
      return new double[] {p50, p99};
    }
  }
}
