package io.parley.inference.voice;

import io.parley.inference.llm.Tool;
import io.parley.inference.llm.ToolCall;
import io.vertx.core.Future;
import java.util.List;

/**
 * The tools a session runs itself (the server's, for one user), offered to the model next to the
 * client's. A call of one of them is run here, its result goes back to the model in a new request,
 * and the answer goes on; the client sees only the answer.
 */
public interface ToolRunner {

  /** No server tools. */
  ToolRunner NONE = new ToolRunner() {
    @Override
    public List<Tool> tools() {
      return List.of();
    }

    @Override
    public Future<String> run(ToolCall call) {
      return Future.succeededFuture("{\"error\":\"no such tool: " + call.name() + "\"}");
    }
  };

  /** The tools offered to the model. */
  List<Tool> tools();

  /**
   * Runs a call of one of {@link #tools}: the result for the model (JSON text). Errors, refusals
   * and timeouts are results too; a failed future is reported to the model as an error result.
   */
  Future<String> run(ToolCall call);

  /** True when {@code name} is one of {@link #tools}. */
  default boolean runs(String name) {
    return tools().stream().anyMatch(t -> t.name().equals(name));
  }
}
