package io.parley.api.calls.signal.protocol;

/**
 * A client message the codec refuses: the error code and text the client gets, and the message's
 * {@code id} (echoed as {@code ref}) when it could be read. Control flow, so without a stack trace.
 */
public final class SignalProtocolException extends Exception {

  private final SignalError code;
  private final transient Object ref;

  public SignalProtocolException(SignalError code, String message, Object ref) {
    super(message, null, false, false);
    this.code = code;
    this.ref = ref;
  }

  public SignalError code() {
    return code;
  }

  /** The offending message's {@code id}, or null. */
  public Object ref() {
    return ref;
  }
}
