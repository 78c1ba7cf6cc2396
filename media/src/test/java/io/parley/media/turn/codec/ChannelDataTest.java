package io.parley.media.turn.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** ChannelData messages (RFC 8656 §12.4-§12.6). */
class ChannelDataTest {

  private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

  static byte[] payload(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (0xA0 + i);
    }
    return b;
  }

  static Stream<Arguments> frames() {
    List<Arguments> args = new ArrayList<>();
    for (int channel : new int[] {ChannelData.MIN_CHANNEL, 0x4ABC, ChannelData.MAX_CHANNEL}) {
      for (int length : new int[] {0, 1, 2, 3, 4, 5, 7, 8, 1199, 1200, 4092}) {
        for (boolean tcp : new boolean[] {false, true}) {
          args.add(Arguments.of(channel, length, tcp));
        }
      }
    }
    return args.stream();
  }

  @ParameterizedTest(name = "channel {0}, {1} bytes, tcp={2}")
  @MethodSource("frames")
  void roundTrips(int channel, int length, boolean tcp) {
    byte[] data = payload(length);
    ByteBuf in = Unpooled.wrappedBuffer(data);
    ByteBuf wire = ChannelData.encode(channel, in, tcp, ALLOC);
    try {
      int expectedSize = 4 + (tcp ? (length + 3) / 4 * 4 : length);
      assertThat(wire.readableBytes()).isEqualTo(expectedSize);
      assertThat(wire.getUnsignedShort(0)).isEqualTo(channel);
      assertThat(wire.getUnsignedShort(2)).as("length excludes padding").isEqualTo(length);
      for (int i = 4 + length; i < expectedSize; i++) {
        assertThat(wire.getByte(i)).as("padding byte %d", i).isZero();
      }
      assertThat(ChannelData.isChannelData(wire)).isTrue();
      assertThat(StunDecoder.isStun(wire)).isFalse();

      ChannelData.Frame frame = ChannelData.decode(wire, tcp);
      try {
        assertThat(frame.channel()).isEqualTo(channel);
        assertThat(ByteBufUtil.getBytes(frame.data())).isEqualTo(data);
        assertThat(wire.readableBytes()).as("whole frame consumed").isZero();
      } finally {
        frame.data().release();
      }
    } finally {
      assertThat(wire.release()).isTrue();
    }
    assertThat(in.refCnt()).as("encode does not release the data").isEqualTo(1);
    assertThat(in.readerIndex()).as("encode does not read the data").isZero();
  }

  @Test
  void udpLeavesOptionalPaddingBehindAndTcpConsumesIt() {
    ByteBuf padded = ChannelData.encode(0x4001, Unpooled.wrappedBuffer(payload(5)), true, ALLOC);
    ByteBuf copy = padded.copy();
    try {
      ChannelData.Frame udp = ChannelData.decode(padded, false);
      udp.data().release();
      assertThat(padded.readableBytes()).as("UDP: 3 padding bytes left").isEqualTo(3);

      ChannelData.Frame tcp = ChannelData.decode(copy, true);
      tcp.data().release();
      assertThat(copy.readableBytes()).isZero();
    } finally {
      padded.release();
      copy.release();
    }
  }

  @Test
  void severalFramesInOneTcpBuffer() {
    ByteBuf stream = ALLOC.buffer();
    try {
      for (int n = 0; n < 6; n++) {
        ByteBuf f = ChannelData.encode(0x4000 + n, Unpooled.wrappedBuffer(payload(n)), true, ALLOC);
        stream.writeBytes(f);
        f.release();
      }
      for (int n = 0; n < 6; n++) {
        ChannelData.Frame f = ChannelData.decode(stream, true);
        assertThat(f.channel()).isEqualTo(0x4000 + n);
        assertThat(ByteBufUtil.getBytes(f.data())).isEqualTo(payload(n));
        f.data().release();
      }
      assertThat(stream.isReadable()).isFalse();
    } finally {
      stream.release();
    }
  }

  @Test
  void decodedDataIsARetainedSliceThatOutlivesTheInput() {
    ByteBuf wire = ChannelData.encode(0x4000, Unpooled.wrappedBuffer(payload(8)), false, ALLOC);
    ChannelData.Frame frame = ChannelData.decode(wire, false);
    assertThat(wire.release()).as("input still referenced by the slice").isFalse();
    assertThat(ByteBufUtil.getBytes(frame.data())).isEqualTo(payload(8));
    assertThat(frame.data().release()).isTrue();
    assertThat(wire.refCnt()).isZero();
  }

  @ParameterizedTest(name = "channel 0x{0}")
  @ValueSource(ints = {0x0000, 0x3FFF, 0x8000, 0xFFFF})
  void channelOutsideTheRangeIsRejected(int channel) {
    assertThatThrownBy(() -> ChannelData.encode(channel, Unpooled.EMPTY_BUFFER, false, ALLOC))
        .isInstanceOf(IllegalArgumentException.class);
    ByteBuf wire =
        Unpooled.wrappedBuffer(new byte[] {(byte) (channel >>> 8), (byte) channel, 0, 0});
    StunException e =
        catchThrowableOfType(StunException.class, () -> ChannelData.decode(wire, false));
    assertThat(e.reason()).isEqualTo(StunException.Reason.BAD_VALUE);
    assertThat(wire.readerIndex()).isZero();
    // isChannelData only looks at the first two bits.
    assertThat(ChannelData.isChannelData(wire)).isEqualTo(channel >= 0x4000 && channel < 0x8000);
  }

  /** RFC 5766 §11 allowed 0x4000-0x7FFF; deployed clients still use 0x5000 and up. */
  @ParameterizedTest(name = "channel 0x{0}")
  @ValueSource(ints = {0x4000, 0x4FFF, 0x5000, 0x7FFF})
  void rfc5766ChannelsAreAccepted(int channel) {
    ByteBuf wire = ChannelData.encode(channel, Unpooled.wrappedBuffer(new byte[] {1, 2, 3}), false, ALLOC);
    ChannelData.Frame frame = ChannelData.decode(wire, false);
    assertThat(frame.channel()).isEqualTo(channel);
    assertThat(ByteBufUtil.getBytes(frame.data())).containsExactly(1, 2, 3);
    frame.data().release();
    wire.release();
  }

  static Stream<Arguments> truncated() {
    return Stream.of(
        Arguments.of("empty", "", false),
        Arguments.of("3 header bytes", "40 00 00", false),
        Arguments.of("length 1, no data", "40 00 00 01", false),
        Arguments.of("length 5, 4 bytes", "40 00 00 05 01 02 03 04", false),
        Arguments.of("length 0xFFFF, 10 bytes", "4f ff ff ff 01 02 03 04 05 06", false),
        Arguments.of("TCP: length 5, padding missing", "40 00 00 05 01 02 03 04 05", true),
        Arguments.of(
            "TCP: length 5, 2 of 3 padding bytes", "40 00 00 05 01 02 03 04 05 00 00", true));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("truncated")
  void truncatedFramesAreRejected(String name, String hex, boolean tcp) {
    ByteBuf wire = Unpooled.wrappedBuffer(Rfc5769.hex(hex));
    StunException e =
        catchThrowableOfType(StunException.class, () -> ChannelData.decode(wire, tcp));
    assertThat(e).isNotNull();
    assertThat(e.reason()).isEqualTo(StunException.Reason.TRUNCATED);
    assertThat(wire.readerIndex()).isZero();
    assertThat(wire.refCnt()).as("nothing retained on failure").isEqualTo(1);
  }

  @Test
  void reframingRewritesTheHeaderInPlaceAndKeepsTheData() {
    ByteBuf wire = Unpooled.wrappedBuffer(Rfc5769.hex("40 00 00 05 01 02 03 04 05 ff"));
    ByteBuf data = wire.retainedSlice(0, 9).setIndex(ChannelData.HEADER_SIZE, 9);
    ByteBuf out = ChannelData.reframe(0x7abc, data);
    assertThat(out).isSameAs(data);
    assertThat(ByteBufUtil.getBytes(out)).containsExactly(Rfc5769.hex("7a bc 00 05 01 02 03 04 05"));
    assertThat(wire.refCnt()).as("the input's reference, the slice's and the result's").isEqualTo(3);
    out.release();
    data.release();
    assertThatThrownBy(() -> ChannelData.reframe(0x4000, Unpooled.wrappedBuffer(payload(3))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ChannelData.reframe(0x3fff, wire.setIndex(4, 9)))
        .isInstanceOf(IllegalArgumentException.class);
    wire.release();
  }

  @Test
  void theSameBytesAreCompleteOverUdp() {
    ByteBuf wire = Unpooled.wrappedBuffer(Rfc5769.hex("40 00 00 05 01 02 03 04 05"));
    ChannelData.Frame f = ChannelData.decode(wire, false);
    assertThat(ByteBufUtil.getBytes(f.data())).containsExactly(1, 2, 3, 4, 5);
    f.data().release();
  }

  @Test
  void isChannelDataNeedsAHeaderAndBits01() {
    assertThat(ChannelData.isChannelData(Unpooled.wrappedBuffer(Rfc5769.hex("40 00 00"))))
        .isFalse();
    assertThat(ChannelData.isChannelData(Unpooled.wrappedBuffer(Rfc5769.hex("40 00 00 00"))))
        .isTrue();
    assertThat(ChannelData.isChannelData(Unpooled.wrappedBuffer(Rfc5769.SAMPLE_REQUEST))).isFalse();
    assertThat(ChannelData.isChannelData(Unpooled.wrappedBuffer(Rfc5769.hex("80 00 00 00"))))
        .isFalse();
    ByteBuf shifted = Unpooled.wrappedBuffer(Rfc5769.hex("00 40 00 00 00"));
    shifted.skipBytes(1);
    assertThat(ChannelData.isChannelData(shifted)).isTrue();
    assertThat(shifted.readerIndex()).isEqualTo(1);
  }

  @Test
  void dataLongerThanTheLengthFieldIsRefused() {
    ByteBuf big = Unpooled.wrappedBuffer(new byte[ChannelData.MAX_DATA_LENGTH + 1]);
    assertThatThrownBy(() -> ChannelData.encode(0x4000, big, false, ALLOC))
        .isInstanceOf(IllegalArgumentException.class);
    ByteBuf max =
        ChannelData.encode(
            0x4000, Unpooled.wrappedBuffer(new byte[ChannelData.MAX_DATA_LENGTH]), true, ALLOC);
    assertThat(max.readableBytes()).isEqualTo(4 + 65536);
    max.release();
  }

  @Test
  void encodeCopiesOnlyTheReadableBytes() {
    ByteBuf data = Unpooled.wrappedBuffer(payload(10));
    data.readerIndex(3).writerIndex(8);
    ByteBuf wire = ChannelData.encode(0x4000, data, false, ALLOC);
    assertThat(wire.getUnsignedShort(2)).isEqualTo(5);
    assertThat(ByteBufUtil.getBytes(wire, 4, 5)).isEqualTo(ByteBufUtil.getBytes(data));
    assertThat(data.readerIndex()).isEqualTo(3);
    wire.release();
  }
}
