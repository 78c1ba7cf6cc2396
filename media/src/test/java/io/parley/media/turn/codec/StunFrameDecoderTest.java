package io.parley.media.turn.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Splitting a TCP stream into STUN and ChannelData frames (RFC 8489 §6.2.2, RFC 8656 §12.5). Every
 * buffer fed in and every frame emitted is checked to end with reference count 0; the leak detector
 * runs in paranoid mode as a second net.
 */
class StunFrameDecoderTest {

  private static ResourceLeakDetector.Level previousLevel;

  @BeforeAll
  static void paranoid() {
    previousLevel = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
  }

  @AfterAll
  static void restore() {
    ResourceLeakDetector.setLevel(previousLevel);
  }

  private static final byte[] TX = Rfc5769.hex("0102030405060708090a0b0c");

  /** The frames of one TCP session, each as it must come out of the decoder. */
  static List<byte[]> frames() {
    List<byte[]> frames = new ArrayList<>();
    frames.add(Rfc5769.SAMPLE_REQUEST);
    frames.add(channelData(0x4000, 5)); // padded to 12
    frames.add(
        StunEncoder.encodeToBytes(
            StunMessage.indication(
                StunMethod.SEND,
                TX,
                List.of(
                    Attributes.xorAddress(
                        StunAttributeType.XOR_PEER_ADDRESS,
                        new java.net.InetSocketAddress("192.0.2.7", 5000),
                        TX),
                    Attributes.data(new byte[] {1, 2, 3}))),
            null,
            true));
    frames.add(channelData(0x4FFF, 0));
    frames.add(channelData(0x4001, 4));
    frames.add(
        StunEncoder.encodeToBytes(
            StunMessage.request(StunMethod.BINDING, TX, List.of()), null, false));
    frames.add(channelData(0x4002, 1203));
    frames.add(Rfc5769.LONG_TERM_REQUEST);
    return frames;
  }

  static byte[] channelData(int channel, int length) {
    byte[] data = new byte[length];
    Arrays.fill(data, (byte) 0x5A);
    ByteBuf f =
        ChannelData.encode(
            channel, Unpooled.wrappedBuffer(data), true, PooledByteBufAllocator.DEFAULT);
    try {
      return ByteBufUtil.getBytes(f);
    } finally {
      f.release();
    }
  }

  static byte[] concat(List<byte[]> parts) {
    int n = parts.stream().mapToInt(p -> p.length).sum();
    byte[] all = new byte[n];
    int pos = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, all, pos, p.length);
      pos += p.length;
    }
    return all;
  }

  /**
   * Feeds the chunks as separate reads and returns the emitted frames' bytes, releasing everything.
   */
  static List<byte[]> feed(List<byte[]> chunks) {
    EmbeddedChannel ch = new EmbeddedChannel(new StunFrameDecoder());
    List<ByteBuf> inputs = new ArrayList<>();
    List<byte[]> out = new ArrayList<>();
    for (byte[] chunk : chunks) {
      ByteBuf in = PooledByteBufAllocator.DEFAULT.directBuffer(chunk.length);
      in.writeBytes(chunk);
      inputs.add(in);
      ch.writeInbound(in);
      drain(ch, out);
    }
    assertThat(ch.finish()).as("nothing left over").isFalse();
    drain(ch, out);
    for (ByteBuf in : inputs) {
      assertThat(in.refCnt()).as("input released").isZero();
    }
    return out;
  }

  static void drain(EmbeddedChannel ch, List<byte[]> out) {
    for (ByteBuf frame; (frame = ch.readInbound()) != null; ) {
      out.add(ByteBufUtil.getBytes(frame));
      assertThat(frame.release()).as("each frame is released once, by its consumer").isTrue();
    }
  }

  @Test
  void severalFramesInOneBuffer() {
    List<byte[]> expected = frames();
    assertThat(feed(List.of(concat(expected)))).containsExactlyElementsOf(expected);
  }

  @Test
  void splitAtEveryByteBoundary() {
    List<byte[]> expected = frames();
    byte[] stream = concat(expected);
    for (int cut = 1; cut < stream.length; cut++) {
      List<byte[]> got =
          feed(
              List.of(
                  Arrays.copyOfRange(stream, 0, cut),
                  Arrays.copyOfRange(stream, cut, stream.length)));
      assertThat(got).as("cut at %d", cut).containsExactlyElementsOf(expected);
    }
  }

  @Test
  void oneByteAtATime() {
    List<byte[]> expected = frames();
    byte[] stream = concat(expected);
    List<byte[]> chunks = new ArrayList<>();
    for (byte b : stream) {
      chunks.add(new byte[] {b});
    }
    assertThat(feed(chunks)).containsExactlyElementsOf(expected);
  }

  @Test
  void framesDecodeWithTheMessageDecoders() {
    List<byte[]> got = feed(List.of(concat(frames())));
    int stun = 0;
    int channelData = 0;
    for (byte[] frame : got) {
      ByteBuf buf = Unpooled.wrappedBuffer(frame);
      if (StunDecoder.isStun(buf)) {
        StunDecoder.decode(buf);
        stun++;
      } else {
        ChannelData.Frame f = ChannelData.decode(buf, true);
        f.data().release();
        channelData++;
      }
      assertThat(buf.isReadable()).as("a frame is exactly one message").isFalse();
    }
    assertThat(stun).isEqualTo(4);
    assertThat(channelData).isEqualTo(4);
  }

  @Test
  void aPartialFrameAtCloseIsReleased() {
    byte[] stream = concat(frames());
    EmbeddedChannel ch = new EmbeddedChannel(new StunFrameDecoder());
    ByteBuf in = PooledByteBufAllocator.DEFAULT.buffer();
    in.writeBytes(stream, 0, Rfc5769.SAMPLE_REQUEST.length + 7);
    ch.writeInbound(in);
    List<byte[]> out = new ArrayList<>();
    drain(ch, out);
    assertThat(out).containsExactly(Rfc5769.SAMPLE_REQUEST);
    assertThat(ch.finish()).isFalse();
    assertThat(in.refCnt()).isZero();
  }

  static Stream<Arguments> garbage() {
    return Stream.of(
        Arguments.of("first bits 10", "80 01 00 00", StunException.Reason.NOT_STUN),
        Arguments.of("first bits 11", "ff ff ff ff 00 00", StunException.Reason.NOT_STUN),
        Arguments.of("TLS ClientHello", "16 03 01 00 a5 01 00 00", StunException.Reason.BAD_COOKIE),
        Arguments.of(
            "HTTP request", "47 45 54 20 2f 20 48 54 54 50", StunException.Reason.TOO_LARGE),
        Arguments.of(
            "STUN length not a multiple of 4",
            "00 01 00 05 21 12 a4 42",
            StunException.Reason.BAD_LENGTH),
        Arguments.of("no magic cookie", "00 01 00 00 00 00 00 00", StunException.Reason.BAD_COOKIE),
        Arguments.of(
            "STUN over the limit", "00 01 10 04 21 12 a4 42", StunException.Reason.TOO_LARGE),
        Arguments.of("STUN of 0xFFFC", "00 01 ff fc", StunException.Reason.TOO_LARGE),
        Arguments.of("ChannelData of 0xFFFF", "40 00 ff ff", StunException.Reason.TOO_LARGE),
        Arguments.of(
            "ChannelData just over the limit", "40 00 10 11", StunException.Reason.TOO_LARGE));
  }

  @ParameterizedTest(name = "{0} -> {2}")
  @MethodSource("garbage")
  void garbageIsRejectedAndLaterBytesDiscarded(
      String name, String hex, StunException.Reason reason) {
    EmbeddedChannel ch = new EmbeddedChannel(new StunFrameDecoder());
    // A good frame first: it is still delivered.
    ByteBuf good = Unpooled.copiedBuffer(Rfc5769.SAMPLE_REQUEST);
    ByteBuf bad = Unpooled.copiedBuffer(Rfc5769.hex(hex));
    ch.writeInbound(good);
    DecoderException e = catchThrowableOfType(DecoderException.class, () -> ch.writeInbound(bad));
    assertThat(e).isNotNull();
    assertThat(e.getCause()).isInstanceOf(StunException.class);
    assertThat(((StunException) e.getCause()).reason()).isEqualTo(reason);

    List<byte[]> out = new ArrayList<>();
    drain(ch, out);
    assertThat(out).containsExactly(Rfc5769.SAMPLE_REQUEST);

    ByteBuf more = Unpooled.copiedBuffer(Rfc5769.SAMPLE_REQUEST);
    ch.writeInbound(more);
    drain(ch, out);
    assertThat(out).as("nothing after the error").hasSize(1);
    assertThat(ch.finish()).isFalse();
    assertThat(good.refCnt()).isZero();
    assertThat(bad.refCnt()).isZero();
    assertThat(more.refCnt()).isZero();
  }

  @Test
  void theLargestFramesAreAccepted() {
    int stunBody = StunMessage.MAX_MESSAGE_SIZE - StunMessage.HEADER_SIZE;
    byte[] stun =
        StunEncoder.encodeToBytes(
            StunMessage.indication(
                StunMethod.SEND, TX, List.of(Attributes.data(new byte[stunBody - 4]))),
            null,
            false);
    assertThat(stun).hasSize(StunMessage.MAX_MESSAGE_SIZE);
    byte[] cd = channelData(0x4000, StunMessage.MAX_MESSAGE_SIZE - ChannelData.HEADER_SIZE);
    assertThat(cd).hasSize(StunMessage.MAX_MESSAGE_SIZE);
    assertThat(feed(List.of(stun, cd))).containsExactly(stun, cd);
  }
}
