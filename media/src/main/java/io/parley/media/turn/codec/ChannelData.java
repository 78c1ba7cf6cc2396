package io.parley.media.turn.codec;

import static io.parley.media.turn.codec.StunException.Reason.BAD_VALUE;
import static io.parley.media.turn.codec.StunException.Reason.TRUNCATED;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.Objects;

/**
 * ChannelData messages (RFC 8656 <a
 * href="https://www.rfc-editor.org/rfc/rfc8656#section-12.4">§12.4</a>): a 16-bit channel number, a
 * 16-bit length and the application data, with no STUN header. Over TCP the message is padded to a
 * multiple of 4 bytes, the padding not counted in the length; over UDP padding is optional (RFC
 * 8656 §12.5).
 */
public final class ChannelData {

  /** The first channel number a client may bind (RFC 8656 §12). */
  public static final int MIN_CHANNEL = 0x4000;

  /**
   * The last channel number accepted. RFC 8656 §12 narrowed the range to 0x4FFF, but RFC 5766 §11
   * allowed up to 0x7FFF and deployed clients (coturn's uclient among them) still bind there: for
   * wire compatibility with RFC 5766 they are accepted. 0x8000 and above can never be ChannelData.
   */
  public static final int MAX_CHANNEL = 0x7FFF;

  /** The ChannelData header: channel number and length (RFC 8656 §12.4). */
  public static final int HEADER_SIZE = 4;

  /** The largest data a ChannelData message can carry: the length field has 16 bits. */
  public static final int MAX_DATA_LENGTH = 0xFFFF;

  private static final int TOP_BITS_MASK = 0xC0;
  private static final int CHANNEL_DATA_TOP_BITS = 0x40;

  private ChannelData() {}

  /**
   * A decoded ChannelData message. The caller owns {@code data}, a retained slice of the received
   * buffer, and must release it.
   *
   * @param channel the channel number, {@link #MIN_CHANNEL}..{@link #MAX_CHANNEL}
   * @param data the application data
   */
  public record Frame(int channel, ByteBuf data) {
    /** Checks for null. */
    public Frame {
      Objects.requireNonNull(data, "data");
    }
  }

  /**
   * Whether the readable bytes start like a ChannelData message: at least a header, and the first
   * two bits 01 (RFC 8656 §12.4, RFC 7983). The reader index is not moved. This includes the
   * reserved channels 0x5000..0x7FFF, which {@link #decode} rejects.
   *
   * @param buf the received bytes
   */
  public static boolean isChannelData(ByteBuf buf) {
    return buf.readableBytes() >= HEADER_SIZE
        && (buf.getUnsignedByte(buf.readerIndex()) & TOP_BITS_MASK) == CHANNEL_DATA_TOP_BITS;
  }

  /**
   * Decodes one ChannelData message at the reader index and moves the reader index past it: past
   * the data over UDP (padding after it, if any, stays readable and may be discarded with the
   * datagram), past the padding to 4 bytes over TCP.
   *
   * @param buf the received bytes
   * @param tcp whether the message came over TCP (or TLS), where padding is mandatory
   * @return the channel and a retained slice of the data, which the caller releases
   * @throws StunException TRUNCATED when the buffer is shorter than the header or the length (plus
   *     padding on TCP) claims; BAD_VALUE for a channel outside 0x4000..0x7FFF, which the server
   *     silently discards (RFC 8656 §12.6). The reader index is then unchanged.
   */
  public static Frame decode(ByteBuf buf, boolean tcp) {
    int start = buf.readerIndex();
    int length = dataLength(buf, tcp);
    ByteBuf data = buf.retainedSlice(start + HEADER_SIZE, length);
    buf.readerIndex(start + HEADER_SIZE + (tcp ? StunAttribute.padded(length) : length));
    return new Frame(buf.getUnsignedShort(start), data);
  }

  /**
   * Checks the ChannelData message at the reader index as {@link #decode} does, without slicing or
   * allocating (the relay's per-packet path): returns the length of its data, which starts {@link
   * #HEADER_SIZE} bytes after the reader index; the channel is {@link #channel}. Indexes unchanged.
   *
   * @throws StunException as {@link #decode}
   */
  public static int dataLength(ByteBuf buf, boolean tcp) {
    int start = buf.readerIndex();
    int readable = buf.readableBytes();
    if (readable < HEADER_SIZE) {
      throw new StunException(TRUNCATED, readable + " bytes, shorter than a ChannelData header");
    }
    int channel = buf.getUnsignedShort(start);
    if (channel < MIN_CHANNEL || channel > MAX_CHANNEL) {
      throw new StunException(
          BAD_VALUE, String.format("channel 0x%04X outside 0x4000..0x7FFF", channel));
    }
    int length = buf.getUnsignedShort(start + 2);
    int size = HEADER_SIZE + (tcp ? StunAttribute.padded(length) : length);
    if (size > readable) {
      throw new StunException(
          TRUNCATED, "ChannelData claims " + size + " bytes, " + readable + " present");
    }
    return length;
  }

  /** The channel number of the message at the reader index (check it with {@link #dataLength} first). */
  public static int channel(ByteBuf buf) {
    return buf.getUnsignedShort(buf.readerIndex());
  }

  /**
   * ChannelData on {@code channel} carrying {@code data} without a copy, for data that arrived as
   * ChannelData itself: its 4-byte header, just before the reader index, is rewritten with the new
   * channel number (the length stays) and returned retained, its reader index moved back to the
   * header; the caller still releases {@code data}. Not padded: for datagrams.
   *
   * @param data the data of a ChannelData message, its header at {@code readerIndex() - 4}
   */
  public static ByteBuf reframe(int channel, ByteBuf data) {
    if (channel < MIN_CHANNEL || channel > MAX_CHANNEL) {
      throw new IllegalArgumentException(String.format("channel 0x%04X outside 0x4000..0x7FFF", channel));
    }
    int start = data.readerIndex() - HEADER_SIZE;
    if (start < 0) {
      throw new IllegalArgumentException("no ChannelData header before the data");
    }
    data.setShort(start, channel);
    data.setShort(start + 2, data.readableBytes());
    return data.retain().readerIndex(start);
  }

  /**
   * Encodes a ChannelData message into a new buffer from {@code alloc}, copying the readable bytes
   * of {@code data}. The caller owns the result. {@code data} is neither released nor read: its
   * reader index and reference count are unchanged, and the caller still releases it.
   *
   * <p>A copy rather than a composite: the message is one datagram or one TCP write of at most a
   * few kilobytes, and a single contiguous buffer is what the transports write fastest.
   *
   * @param channel {@link #MIN_CHANNEL}..{@link #MAX_CHANNEL}
   * @param data the application data, at most {@link #MAX_DATA_LENGTH} readable bytes
   * @param padToFour whether to pad to a multiple of 4 bytes: true over TCP (RFC 8656 §12.5)
   * @param alloc the allocator of the channel that will send the buffer
   * @throws IllegalArgumentException for a channel outside the range or data too long
   */
  public static ByteBuf encode(
      int channel, ByteBuf data, boolean padToFour, ByteBufAllocator alloc) {
    if (channel < MIN_CHANNEL || channel > MAX_CHANNEL) {
      throw new IllegalArgumentException(
          String.format("channel 0x%04X outside 0x4000..0x7FFF", channel));
    }
    int length = data.readableBytes();
    if (length > MAX_DATA_LENGTH) {
      throw new IllegalArgumentException(
          "ChannelData of " + length + " bytes exceeds " + MAX_DATA_LENGTH);
    }
    int padding = padToFour ? StunAttribute.padded(length) - length : 0;
    int size = HEADER_SIZE + length + padding;
    ByteBuf out = alloc.buffer(size, size);
    out.writeShort(channel);
    out.writeShort(length);
    out.writeBytes(data, data.readerIndex(), length);
    out.writeZero(padding);
    return out;
  }
}
