package io.parley.media.turn.codec;

/**
 * STUN method numbers: Binding from <a
 * href="https://www.rfc-editor.org/rfc/rfc8489#section-18.2">RFC 8489 §18.2</a>, the TURN methods
 * from <a href="https://www.rfc-editor.org/rfc/rfc8656#section-17">RFC 8656 §17</a>. A method is 12
 * bits; the message type interleaves it with the {@link StunClass} bits.
 */
public final class StunMethod {

  /** Binding (RFC 8489 §18.2): asks for the reflexive transport address. */
  public static final int BINDING = 0x001;

  /** Allocate (RFC 8656 §7): creates an allocation; request/response only. */
  public static final int ALLOCATE = 0x003;

  /** Refresh (RFC 8656 §8): extends or deletes an allocation; request/response only. */
  public static final int REFRESH = 0x004;

  /** Send (RFC 8656 §11): data from client to peer; indication only. */
  public static final int SEND = 0x006;

  /** Data (RFC 8656 §11): data from peer to client; indication only. */
  public static final int DATA = 0x007;

  /** CreatePermission (RFC 8656 §9); request/response only. */
  public static final int CREATE_PERMISSION = 0x008;

  /** ChannelBind (RFC 8656 §12); request/response only. */
  public static final int CHANNEL_BIND = 0x009;

  /** The largest method number: a method has 12 bits (RFC 8489 §5). */
  public static final int MAX_METHOD = 0xFFF;

  private StunMethod() {}

  /**
   * The RFC name of a method, for logs and metrics; {@code "0x00A"} style for unknown numbers.
   *
   * @param method a method number
   */
  public static String name(int method) {
    return switch (method) {
      case BINDING -> "Binding";
      case ALLOCATE -> "Allocate";
      case REFRESH -> "Refresh";
      case SEND -> "Send";
      case DATA -> "Data";
      case CREATE_PERMISSION -> "CreatePermission";
      case CHANNEL_BIND -> "ChannelBind";
      default -> String.format("0x%03X", method);
    };
  }
}
