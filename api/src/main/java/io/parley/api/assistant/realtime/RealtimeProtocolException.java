package io.parley.api.assistant.realtime;

/**
 * A client event Parley cannot take: its {@code error} event's {@code code}, {@code message},
 * {@code param} (the offending field, or null) and the client's {@code event_id} (or null).
 */
public final class RealtimeProtocolException extends Exception {

  private final String code;
  private final String param;
  private final String eventId;

  public RealtimeProtocolException(String code, String message, String param, String eventId) {
    super(message, null, false, false);
    this.code = code;
    this.param = param;
    this.eventId = eventId;
  }

  public String code() {
    return code;
  }

  public String param() {
    return param;
  }

  public String eventId() {
    return eventId;
  }
}
