package io.parley.api.assistant.tools;

/** A tool's refusal or a bad argument, told to the model as it is (it can ask again or tell the user). */
public final class ToolError extends RuntimeException {

  public ToolError(String message) {
    super(message, null, false, false);
  }
}
