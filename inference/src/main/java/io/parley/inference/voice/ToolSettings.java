package io.parley.inference.voice;

import io.parley.inference.llm.Tool;
import io.parley.inference.llm.ToolChoice;
import java.util.List;
import java.util.Objects;

/**
 * What a session's answers may call: the client's function {@code tools} and how ({@code choice}),
 * whether the server's own tools ({@link ToolRunner}) are offered too, and how many rounds of
 * server tool calls one answer may make before it must answer in words.
 */
public record ToolSettings(List<Tool> tools, ToolChoice choice, boolean serverTools, int maxRounds) {

  /** No client tools, server tools off. */
  public static final ToolSettings NONE = new ToolSettings(List.of(), ToolChoice.AUTO, false, 0);

  public ToolSettings {
    tools = List.copyOf(tools);
    Objects.requireNonNull(choice, "choice");
    if (maxRounds < 0) {
      throw new IllegalArgumentException("maxRounds must not be negative");
    }
  }

  /** The same with the client's tools and choice replaced (a response.create's own). */
  public ToolSettings withClientTools(List<Tool> tools, ToolChoice choice) {
    return new ToolSettings(tools, choice, serverTools, maxRounds);
  }
}
