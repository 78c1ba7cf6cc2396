package io.parley.media.turn.codec;

import static io.parley.media.turn.codec.StunException.Reason.BAD_COOKIE;
import static io.parley.media.turn.codec.StunException.Reason.BAD_LENGTH;
import static io.parley.media.turn.codec.StunException.Reason.NOT_STUN;
import static io.parley.media.turn.codec.StunException.Reason.TOO_LARGE;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits a TCP (or TLS) byte stream from a TURN client into whole STUN messages and whole
 * ChannelData messages (RFC 8489 <a
 * href="https://www.rfc-editor.org/rfc/rfc8489#section-6.2.2">§6.2.2</a>, RFC 8656 <a
 * href="https://www.rfc-editor.org/rfc/rfc8656#section-12.5">§12.5</a>). It reads only the first
 * four bytes (and the cookie) of each frame and emits retained {@link ByteBuf} slices, each exactly
 * one frame, for the next handler to decode with {@link StunDecoder} or {@link ChannelData} (with
 * {@code tcp = true}) and release:
 *
 * <ul>
 *   <li>first two bits 00: a STUN message of {@code 20 + length} bytes;
 *   <li>first two bits 01: a ChannelData message of {@code 4 + length} bytes padded to a multiple
 *       of 4.
 * </ul>
 *
 * <p>The stream cannot be resynchronised after a frame it cannot size, so first bits 10 or 11, a
 * STUN length not a multiple of 4, a wrong cookie, or a frame claiming more than {@link
 * StunMessage#MAX_MESSAGE_SIZE} raise a {@link StunException}. {@link ByteToMessageDecoder} hands
 * it to {@code exceptionCaught} wrapped in a {@link io.netty.handler.codec.DecoderException}; the
 * server closes the connection. Bytes arriving after the error are discarded.
 *
 * <p>Not sharable: one instance per connection.
 */
public final class StunFrameDecoder extends ByteToMessageDecoder {

  /** The bytes needed to size any frame: type or channel, then length. */
  private static final int SIZE_PREFIX = 4;

  private static final int COOKIE_OFFSET = 4;
  private static final int COOKIE_END = COOKIE_OFFSET + 4;
  private static final int KIND_SHIFT = 6;
  private static final int KIND_STUN = 0b00;
  private static final int KIND_CHANNEL_DATA = 0b01;

  private boolean failed;

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    while (in.readableBytes() >= SIZE_PREFIX) {
      int start = in.readerIndex();
      int kind = in.getUnsignedByte(start) >>> KIND_SHIFT;
      int length = in.getUnsignedShort(start + 2);
      int size;
      if (kind == KIND_STUN) {
        if (length % 4 != 0) {
          throw fail(in, new StunException(BAD_LENGTH, "STUN length not a multiple of 4"));
        }
        if (in.readableBytes() >= COOKIE_END
            && in.getInt(start + COOKIE_OFFSET) != StunMessage.MAGIC_COOKIE) {
          throw fail(in, new StunException(BAD_COOKIE, "no magic cookie"));
        }
        size = StunMessage.HEADER_SIZE + length;
      } else if (kind == KIND_CHANNEL_DATA) {
        size = ChannelData.HEADER_SIZE + StunAttribute.padded(length);
      } else {
        throw fail(in, new StunException(NOT_STUN, "neither STUN nor ChannelData: first bits 1x"));
      }
      if (size > StunMessage.MAX_MESSAGE_SIZE) {
        throw fail(
            in,
            new StunException(
                TOO_LARGE, "frame of " + size + " bytes exceeds " + StunMessage.MAX_MESSAGE_SIZE));
      }
      if (in.readableBytes() < size) {
        return; // wait for the rest of the frame
      }
      out.add(in.readRetainedSlice(size));
    }
  }

  private StunException fail(ByteBuf in, StunException e) {
    failed = true;
    in.skipBytes(in.readableBytes());
    return e;
  }
}
