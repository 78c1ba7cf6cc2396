package io.parley.media.turn.codec;

import static io.parley.media.turn.codec.StunAttributeType.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.ice4j.Transport;
import org.ice4j.TransportAddress;
import org.ice4j.attribute.Attribute;
import org.ice4j.attribute.AttributeFactory;
import org.ice4j.attribute.ChannelNumberAttribute;
import org.ice4j.attribute.DataAttribute;
import org.ice4j.attribute.ErrorCodeAttribute;
import org.ice4j.attribute.FingerprintAttribute;
import org.ice4j.attribute.IceControllingAttribute;
import org.ice4j.attribute.LifetimeAttribute;
import org.ice4j.attribute.MessageIntegrityAttribute;
import org.ice4j.attribute.NonceAttribute;
import org.ice4j.attribute.PriorityAttribute;
import org.ice4j.attribute.RealmAttribute;
import org.ice4j.attribute.RequestedTransportAttribute;
import org.ice4j.attribute.UnknownAttributesAttribute;
import org.ice4j.attribute.UsernameAttribute;
import org.ice4j.attribute.XorMappedAddressAttribute;
import org.ice4j.message.Indication;
import org.ice4j.message.Message;
import org.ice4j.message.MessageFactory;
import org.ice4j.message.Request;
import org.ice4j.message.Response;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Interoperability with ice4j's STUN codec (org.jitsi:ice4j), an independent implementation: what
 * we encode ice4j decodes to the same values, and what ice4j encodes we decode to the same values.
 *
 * <p>ice4j traps (DESIGN.md): {@code Message.encode} needs a {@code StunStack} with a credentials
 * authority once MESSAGE-INTEGRITY is present, so ice4j-encoded messages here carry no
 * MESSAGE-INTEGRITY from ice4j's encoder (one test appends an HMAC computed by ice4j's own HMAC
 * function instead); encode may add a SOFTWARE attribute by itself, so attribute lists are compared
 * without it; and {@code Message.decode} never verifies MESSAGE-INTEGRITY (it does verify
 * FINGERPRINT), so integrity is only compared by value.
 */
class Ice4jInteropTest {

  private static final byte[] TX = Rfc5769.hex("a1a2a3a4a5a6a7a8a9aaabac");
  private static final byte[] KEY =
      MessageIntegrity.longTermKey("1700000000:alice", "parley", "s3cret");

  static InetSocketAddress addr(String ip, int port) {
    try {
      return new InetSocketAddress(InetAddress.getByName(ip), port);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Stream<InetSocketAddress> addresses() {
    return Stream.of(
        addr("192.0.2.1", 32853),
        addr("203.0.113.250", 1),
        addr("2001:db8::1", 49152),
        addr("2001:db8:1234:5678:11:2233:4455:6677", 65535));
  }

  static TransportAddress ta(InetSocketAddress a) {
    return new TransportAddress(a.getAddress(), a.getPort(), Transport.UDP);
  }

  static InetSocketAddress plain(TransportAddress a) {
    return new InetSocketAddress(a.getAddress(), a.getPort());
  }

  static Message ice4jDecode(byte[] bytes) throws Exception {
    return Message.decode(bytes, 0, bytes.length);
  }

  static StunMessage ourDecode(byte[] bytes) {
    return StunDecoder.decode(Unpooled.wrappedBuffer(bytes));
  }

  static byte[] ice4jEncode(Message m) {
    return m.encode(null);
  }

  @Nested
  class OursDecodedByIce4j {

    @Test
    void bindingRequestWithIceAttributesIntegrityAndFingerprint() throws Exception {
      StunMessage ours =
          StunMessage.request(
              StunMethod.BINDING,
              TX,
              List.of(
                  Attributes.string(USERNAME, "remote:local"),
                  Attributes.uint32(PRIORITY, 0x6e0001ffL),
                  Attributes.uint64(ICE_CONTROLLING, 0x932ff9b151263b36L),
                  Attributes.flag(USE_CANDIDATE)));
      byte[] bytes = StunEncoder.encodeToBytes(ours, KEY, true);

      Message m = ice4jDecode(bytes);
      assertThat((int) m.getMessageType()).isEqualTo((int) Message.BINDING_REQUEST);
      assertThat(m.getTransactionID()).isEqualTo(TX);
      assertThat(((UsernameAttribute) m.getAttribute(Attribute.USERNAME)).getUsername())
          .isEqualTo("remote:local".getBytes(StandardCharsets.UTF_8));
      assertThat(((PriorityAttribute) m.getAttribute(Attribute.PRIORITY)).getPriority())
          .isEqualTo(0x6e0001ffL);
      assertThat(
              ((IceControllingAttribute) m.getAttribute(Attribute.ICE_CONTROLLING)).getTieBreaker())
          .isEqualTo(0x932ff9b151263b36L);
      assertThat(m.containsAttribute(Attribute.USE_CANDIDATE)).isTrue();
      assertThat(m.containsAttribute(Attribute.FINGERPRINT)).as("ice4j checked our CRC").isTrue();

      // ice4j's HMAC of our bytes, with the length field set as RFC 8489 §14.5 says, is our HMAC.
      int mi = ourDecode(bytes).integrityOffset();
      byte[] hmac =
          ((MessageIntegrityAttribute) m.getAttribute(Attribute.MESSAGE_INTEGRITY))
              .getHmacSha1Content();
      byte[] adjusted = Arrays.copyOf(bytes, mi);
      adjusted[2] = 0;
      adjusted[3] = (byte) (mi - 20 + 24);
      assertThat(MessageIntegrityAttribute.calculateHmacSha1(adjusted, 0, mi, KEY)).isEqualTo(hmac);
      assertThat(FingerprintAttribute.calculateXorCRC32(bytes, 0, bytes.length - 8))
          .isEqualTo(Arrays.copyOfRange(bytes, bytes.length - 4, bytes.length));
    }

    @ParameterizedTest
    @MethodSource("io.parley.media.turn.codec.Ice4jInteropTest#addresses")
    void bindingSuccessWithXorMappedAddress(InetSocketAddress mapped) throws Exception {
      StunMessage req = StunMessage.request(StunMethod.BINDING, TX, List.of());
      StunMessage ok =
          StunMessage.success(req, List.of(Attributes.xorAddress(XOR_MAPPED_ADDRESS, mapped, TX)));
      Message m = ice4jDecode(StunEncoder.encodeToBytes(ok, null, true));

      assertThat((int) m.getMessageType()).isEqualTo((int) Message.BINDING_SUCCESS_RESPONSE);
      XorMappedAddressAttribute x =
          (XorMappedAddressAttribute) m.getAttribute(Attribute.XOR_MAPPED_ADDRESS);
      assertThat(plain(x.getAddress(TX))).isEqualTo(mapped);
    }

    @Test
    void allocateUnauthorizedWithRealmAndNonce() throws Exception {
      StunMessage req = StunMessage.request(StunMethod.ALLOCATE, TX, List.of());
      StunMessage err =
          StunMessage.error(
              req,
              401,
              "Unauthorized",
              List.of(
                  Attributes.string(REALM, "parley"),
                  Attributes.string(NONCE, "obMatJos2AAAAQm9e7ZdjXYZ"),
                  Attributes.string(SOFTWARE, "Parley")));
      Message m = ice4jDecode(StunEncoder.encodeToBytes(err, null, true));

      assertThat((int) m.getMessageType()).isEqualTo((int) Message.ALLOCATE_ERROR_RESPONSE);
      assertThat(m.getTransactionID()).isEqualTo(TX);
      ErrorCodeAttribute ec = (ErrorCodeAttribute) m.getAttribute(Attribute.ERROR_CODE);
      assertThat((int) ec.getErrorCode()).isEqualTo(401);
      assertThat(ec.getReasonPhrase()).isEqualTo("Unauthorized");
      assertThat(((RealmAttribute) m.getAttribute(Attribute.REALM)).getRealm())
          .isEqualTo("parley".getBytes(StandardCharsets.UTF_8));
      assertThat(((NonceAttribute) m.getAttribute(Attribute.NONCE)).getNonce())
          .isEqualTo("obMatJos2AAAAQm9e7ZdjXYZ".getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @MethodSource("io.parley.media.turn.codec.Ice4jInteropTest#addresses")
    void dataIndicationWithPeerAddressAndOddLengthData(InetSocketAddress peer) throws Exception {
      byte[] data = "hello".getBytes(StandardCharsets.UTF_8);
      StunMessage ind =
          StunMessage.indication(
              StunMethod.DATA,
              TX,
              List.of(Attributes.xorAddress(XOR_PEER_ADDRESS, peer, TX), Attributes.data(data)));
      Message m = ice4jDecode(StunEncoder.encodeToBytes(ind, null, false));

      assertThat((int) m.getMessageType()).isEqualTo((int) Message.DATA_INDICATION);
      XorMappedAddressAttribute x =
          (XorMappedAddressAttribute) m.getAttribute(Attribute.XOR_PEER_ADDRESS);
      assertThat(plain(x.getAddress(TX))).isEqualTo(peer);
      assertThat(((DataAttribute) m.getAttribute(Attribute.DATA)).getData()).isEqualTo(data);
    }

    @Test
    void allocateSuccessWithRelayedAddressAndLifetime() throws Exception {
      StunMessage req = StunMessage.request(StunMethod.ALLOCATE, TX, List.of());
      InetSocketAddress relayed = addr("198.51.100.7", 50000);
      InetSocketAddress mapped = addr("192.0.2.15", 7000);
      StunMessage ok =
          StunMessage.success(
              req,
              List.of(
                  Attributes.xorAddress(XOR_RELAYED_ADDRESS, relayed, TX),
                  Attributes.lifetime(1200),
                  Attributes.xorAddress(XOR_MAPPED_ADDRESS, mapped, TX)));
      Message m = ice4jDecode(StunEncoder.encodeToBytes(ok, KEY, true));

      assertThat((int) m.getMessageType()).isEqualTo((int) Message.ALLOCATE_RESPONSE);
      assertThat(
              plain(
                  ((XorMappedAddressAttribute) m.getAttribute(Attribute.XOR_RELAYED_ADDRESS))
                      .getAddress(TX)))
          .isEqualTo(relayed);
      assertThat(
              plain(
                  ((XorMappedAddressAttribute) m.getAttribute(Attribute.XOR_MAPPED_ADDRESS))
                      .getAddress(TX)))
          .isEqualTo(mapped);
      assertThat(((LifetimeAttribute) m.getAttribute(Attribute.LIFETIME)).getLifetime())
          .isEqualTo(1200);
    }

    @Test
    void channelBindRequest() throws Exception {
      StunMessage req =
          StunMessage.request(
              StunMethod.CHANNEL_BIND,
              TX,
              List.of(
                  Attributes.channelNumber(0x4ABC),
                  Attributes.xorAddress(XOR_PEER_ADDRESS, addr("192.0.2.99", 4000), TX)));
      Message m = ice4jDecode(StunEncoder.encodeToBytes(req, KEY, false));

      assertThat((int) m.getMessageType()).isEqualTo((int) Message.CHANNELBIND_REQUEST);
      assertThat(
              (int)
                  ((ChannelNumberAttribute) m.getAttribute(Attribute.CHANNEL_NUMBER))
                      .getChannelNumber())
          .isEqualTo(0x4ABC);
    }

    @Test
    void unknownAttributeErrorWithAnOddCount() throws Exception {
      StunMessage req = StunMessage.request(StunMethod.ALLOCATE, TX, List.of());
      StunMessage err =
          StunMessage.error(
              req,
              420,
              "Unknown Attribute",
              List.of(Attributes.unknownAttributes(0x0003, 0x7F01, 0x0031)));
      Message m = ice4jDecode(StunEncoder.encodeToBytes(err, null, false));

      UnknownAttributesAttribute u =
          (UnknownAttributesAttribute) m.getAttribute(Attribute.UNKNOWN_ATTRIBUTES);
      assertThat(u.getAttributeCount()).isEqualTo(3);
      assertThat(new int[] {u.getAttribute(0), u.getAttribute(1), u.getAttribute(2)})
          .containsExactly(0x0003, 0x7F01, 0x0031);
      assertThat((int) ((ErrorCodeAttribute) m.getAttribute(Attribute.ERROR_CODE)).getErrorCode())
          .isEqualTo(420);
    }
  }

  @Nested
  class Ice4jDecodedByUs {

    /** Our attribute types of a message decoded from ice4j, without the SOFTWARE ice4j may add. */
    List<Integer> types(StunMessage m) {
      return m.attributes().stream().map(StunAttribute::type).filter(t -> t != SOFTWARE).toList();
    }

    @Test
    void bindingRequestFromMessageFactory() throws Exception {
      Request req = MessageFactory.createBindingRequest();
      req.setTransactionID(TX);
      StunMessage m = ourDecode(ice4jEncode(req));

      assertThat(m.method()).isEqualTo(StunMethod.BINDING);
      assertThat(m.cls()).isEqualTo(StunClass.REQUEST);
      assertThat(m.transactionId()).isEqualTo(TX);
      assertThat(types(m)).isEmpty();
    }

    @Test
    void iceBindingRequestFromMessageFactory() throws Exception {
      Request req = MessageFactory.createBindingRequest(0x6e0001ffL, true, 0x1122334455667788L);
      req.setTransactionID(TX);
      StunMessage m = ourDecode(ice4jEncode(req));

      assertThat(types(m)).containsExactlyInAnyOrder(PRIORITY, ICE_CONTROLLING);
      assertThat(Attributes.uint32(m.attribute(PRIORITY))).isEqualTo(0x6e0001ffL);
      assertThat(Attributes.uint64(m.attribute(ICE_CONTROLLING))).isEqualTo(0x1122334455667788L);
    }

    @ParameterizedTest
    @MethodSource("io.parley.media.turn.codec.Ice4jInteropTest#addresses")
    void createPermissionRequestFromMessageFactory(InetSocketAddress peer) throws Exception {
      Request req = MessageFactory.createCreatePermissionRequest(ta(peer), TX);
      req.setTransactionID(TX);
      StunMessage m = ourDecode(ice4jEncode(req));

      assertThat(m.method()).isEqualTo(StunMethod.CREATE_PERMISSION);
      assertThat(m.cls()).isEqualTo(StunClass.REQUEST);
      assertThat(types(m)).containsExactly(XOR_PEER_ADDRESS);
      assertThat(Attributes.xorAddress(m.attribute(XOR_PEER_ADDRESS), m.transactionId()))
          .isEqualTo(peer);
    }

    @Test
    void allocateRequestFromMessageFactory() throws Exception {
      Request req = MessageFactory.createAllocateRequest(RequestedTransportAttribute.UDP, false);
      req.setTransactionID(TX);
      StunMessage m = ourDecode(ice4jEncode(req));

      assertThat(m.method()).isEqualTo(StunMethod.ALLOCATE);
      assertThat(Attributes.requestedTransport(m.attribute(REQUESTED_TRANSPORT)))
          .isEqualTo(Attributes.PROTOCOL_UDP);
    }

    @Test
    void channelBindRequestFromMessageFactory() throws Exception {
      InetSocketAddress peer = addr("2001:db8::42", 6000);
      Request req = MessageFactory.createChannelBindRequest((char) 0x4FFF, ta(peer), TX);
      req.setTransactionID(TX);
      StunMessage m = ourDecode(ice4jEncode(req));

      assertThat(m.method()).isEqualTo(StunMethod.CHANNEL_BIND);
      assertThat(Attributes.channelNumber(m.attribute(CHANNEL_NUMBER))).isEqualTo(0x4FFF);
      assertThat(Attributes.xorAddress(m.attribute(XOR_PEER_ADDRESS), TX)).isEqualTo(peer);
    }

    @Test
    void sendIndicationFromMessageFactory() throws Exception {
      InetSocketAddress peer = addr("192.0.2.200", 9);
      byte[] data = {1, 2, 3, 4, 5, 6, 7};
      Indication ind = MessageFactory.createSendIndication(ta(peer), data, TX);
      ind.setTransactionID(TX);
      StunMessage m = ourDecode(ice4jEncode(ind));

      assertThat(m.method()).isEqualTo(StunMethod.SEND);
      assertThat(m.cls()).isEqualTo(StunClass.INDICATION);
      assertThat(m.attribute(DATA).value()).isEqualTo(data);
      assertThat(Attributes.xorAddress(m.attribute(XOR_PEER_ADDRESS), TX)).isEqualTo(peer);
    }

    @Test
    void bindingResponseFromMessageFactory() throws Exception {
      InetSocketAddress mapped = addr("2001:db8:1234:5678:11:2233:4455:6677", 32853);
      Request req = MessageFactory.createBindingRequest();
      req.setTransactionID(TX);
      Response resp = MessageFactory.createBindingResponse(req, ta(mapped));
      resp.setTransactionID(TX);
      StunMessage m = ourDecode(ice4jEncode(resp));

      assertThat(m.cls()).isEqualTo(StunClass.SUCCESS_RESPONSE);
      assertThat(Attributes.xorAddress(m.attribute(XOR_MAPPED_ADDRESS), TX)).isEqualTo(mapped);
    }

    @Test
    void allocateErrorResponseWithFingerprint() throws Exception {
      Response resp = MessageFactory.createAllocationErrorResponse((char) 401, "Unauthorized");
      resp.setTransactionID(TX);
      resp.putAttribute(
          AttributeFactory.createRealmAttribute("parley".getBytes(StandardCharsets.UTF_8)));
      resp.putAttribute(
          AttributeFactory.createNonceAttribute("n0nce".getBytes(StandardCharsets.UTF_8)));
      resp.putAttribute(AttributeFactory.createFingerprintAttribute());
      StunMessage m = ourDecode(ice4jEncode(resp));

      assertThat(m.method()).isEqualTo(StunMethod.ALLOCATE);
      assertThat(m.cls()).isEqualTo(StunClass.ERROR_RESPONSE);
      assertThat(Attributes.errorCode(m.attribute(ERROR_CODE))).isEqualTo(401);
      assertThat(Attributes.errorReason(m.attribute(ERROR_CODE))).isEqualTo("Unauthorized");
      assertThat(Attributes.string(m.attribute(REALM))).isEqualTo("parley");
      assertThat(Attributes.string(m.attribute(NONCE))).isEqualTo("n0nce");
      assertThat(m.hasFingerprint()).as("our decoder accepted ice4j's CRC").isTrue();
    }

    @Test
    void integrityComputedWithIce4jsHmacVerifiesWithUs() throws Exception {
      Request req = MessageFactory.createCreatePermissionRequest(ta(addr("192.0.2.5", 1)), TX);
      req.setTransactionID(TX);
      req.putAttribute(AttributeFactory.createUsernameAttribute("1700000000:alice"));
      req.putAttribute(
          AttributeFactory.createRealmAttribute("parley".getBytes(StandardCharsets.UTF_8)));
      req.putAttribute(
          AttributeFactory.createNonceAttribute("n0nce".getBytes(StandardCharsets.UTF_8)));
      byte[] unsigned = ice4jEncode(req);

      // Append MESSAGE-INTEGRITY by hand: ice4j's encoder would need a StunStack for it.
      int mi = unsigned.length;
      byte[] signed = Arrays.copyOf(unsigned, mi + 24);
      int length = mi - 20 + 24;
      signed[2] = (byte) (length >>> 8);
      signed[3] = (byte) length;
      byte[] hmac = MessageIntegrityAttribute.calculateHmacSha1(signed, 0, mi, KEY);
      signed[mi] = 0x00;
      signed[mi + 1] = 0x08;
      signed[mi + 2] = 0x00;
      signed[mi + 3] = 0x14;
      System.arraycopy(hmac, 0, signed, mi + 4, hmac.length);

      StunMessage m = ourDecode(signed);
      assertThat(m.integrityOffset()).isEqualTo(mi);
      assertThat(MessageIntegrity.verify(m, KEY)).isTrue();
      assertThat(
              MessageIntegrity.verify(
                  m, MessageIntegrity.longTermKey("1700000000:alice", "parley", "wrong")))
          .isFalse();
      assertThat(Attributes.string(m.attribute(USERNAME))).isEqualTo("1700000000:alice");
    }
  }
}
