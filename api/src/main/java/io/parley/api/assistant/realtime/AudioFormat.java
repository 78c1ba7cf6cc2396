package io.parley.api.assistant.realtime;

import io.parley.inference.audio.G711;
import io.parley.inference.audio.Pcm;
import io.parley.inference.audio.Resampler;
import io.vertx.core.json.JsonObject;

/**
 * The audio of one direction on the wire (GA {@code RealtimeAudioFormats}): {@code audio/pcm}
 * (PCM16 little-endian mono, 24 kHz as OpenAI has it; Parley also takes 8..48 kHz),
 * {@code audio/pcmu} and {@code audio/pcma} (G.711 mu-law and A-law, one byte per sample at 8 kHz,
 * as SIP and telephony media streams carry them). The pipeline keeps its own rates: a
 * {@link Transcoder} converts between the two.
 *
 * @param type the format's MIME-like name
 * @param rate samples per second on the wire
 * @see <a href="https://platform.openai.com/docs/api-reference/realtime-client-events/session/update">session.update</a>
 */
public record AudioFormat(String type, int rate) {

  public static final String PCM = "audio/pcm";
  public static final String PCMU = "audio/pcmu";
  public static final String PCMA = "audio/pcma";
  /** Lowest and highest {@code audio/pcm} rate accepted, in Hz. */
  public static final int MIN_RATE = 8_000;
  public static final int MAX_RATE = 48_000;
  /** OpenAI's {@code audio/pcm} rate, the default of both directions. */
  public static final int DEFAULT_RATE = 24_000;

  /** {@code audio/pcm} at {@code rate}. */
  public static AudioFormat pcm(int rate) {
    return new AudioFormat(PCM, rate);
  }

  /**
   * A client's {@code format} object over {@code current}: a missing {@code type} keeps the current
   * type; {@code rate} is read for {@code audio/pcm} only. The beta's names ({@code pcm16},
   * {@code g711_ulaw}, {@code g711_alaw}), which older clients still send as a plain string, are
   * read too. Refused naming {@code param}.
   */
  public static AudioFormat parse(Object value, AudioFormat current, String param, String eventId)
      throws RealtimeProtocolException {
    if (value == null) {
      return current;
    }
    if (value instanceof String beta) {
      return switch (beta) {
        case "pcm16" -> pcm(DEFAULT_RATE);
        case "g711_ulaw" -> new AudioFormat(PCMU, G711.RATE);
        case "g711_alaw" -> new AudioFormat(PCMA, G711.RATE);
        default -> throw new RealtimeProtocolException("invalid_value", param + " must be a format object, or "
            + "pcm16, g711_ulaw or g711_alaw, got " + beta, param, eventId);
      };
    }
    if (!(value instanceof JsonObject format)) {
      throw new RealtimeProtocolException("invalid_value", param + " must be an object", param, eventId);
    }
    Object type = format.getValue("type", current.type());
    if (PCMU.equals(type) || PCMA.equals(type)) {
      return new AudioFormat((String) type, G711.RATE);
    }
    if (!PCM.equals(type)) {
      throw new RealtimeProtocolException("invalid_value", param + ".type must be audio/pcm, audio/pcmu or "
          + "audio/pcma, got " + type, param + ".type", eventId);
    }
    Object rate = format.getValue("rate", PCM.equals(current.type()) ? current.rate() : null);
    if (rate == null) {
      return pcm(DEFAULT_RATE); // from G.711 back to PCM: OpenAI's rate
    }
    if (!(rate instanceof Number n) || n.doubleValue() != n.intValue() || n.intValue() < MIN_RATE
        || n.intValue() > MAX_RATE) {
      throw new RealtimeProtocolException("invalid_value", param + ".rate must be " + MIN_RATE + ".." + MAX_RATE
          + " Hz, got " + rate, param + ".rate", eventId);
    }
    return pcm(n.intValue());
  }

  /** The format object of the session: {@code rate} for {@code audio/pcm} only, as the GA schema has it. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("type", type);
    return PCM.equals(type) ? json.put("rate", rate) : json;
  }

  /** Bytes on the wire per sample. */
  int bytesPerSample() {
    return PCM.equals(type) ? Pcm.BYTES_PER_SAMPLE : 1;
  }

  private G711.Law law() {
    return PCMU.equals(type) ? G711.Law.MU_LAW : G711.Law.A_LAW;
  }

  /**
   * One direction's conversion between the wire's format and the pipeline's PCM16 rate; streaming
   * (one per direction per session), so that chunks join without clicks. Not thread-safe.
   */
  public static final class Transcoder {

    private final AudioFormat wire;
    /** Null when the rates are the same. */
    private final Resampler resampler;

    private Transcoder(AudioFormat wire, Resampler resampler) {
      this.wire = wire;
      this.resampler = resampler;
    }

    /** Client audio in {@code wire} to the pipeline's {@code rate}. */
    public static Transcoder input(AudioFormat wire, int rate) {
      return new Transcoder(wire, wire.rate() == rate ? null : new Resampler(wire.rate(), rate));
    }

    /** The pipeline's audio at {@code rate} to {@code wire}. */
    public static Transcoder output(int rate, AudioFormat wire) {
      return new Transcoder(wire, wire.rate() == rate ? null : new Resampler(rate, wire.rate()));
    }

    public AudioFormat wire() {
      return wire;
    }

    /** Wire bytes to pipeline samples; {@code invalid_audio} for a partial PCM16 sample. */
    public short[] decode(byte[] bytes, String param, String eventId) throws RealtimeProtocolException {
      if (bytes.length % wire.bytesPerSample() != 0) {
        throw new RealtimeProtocolException("invalid_audio",
            "audio must hold whole PCM16 samples (an even number of bytes)", param, eventId);
      }
      short[] pcm = PCM.equals(wire.type()) ? Pcm.fromLittleEndian(bytes) : wire.law().decode(bytes);
      return resampler == null ? pcm : resampler.process(pcm);
    }

    /** Pipeline samples to wire bytes. */
    public byte[] encode(short[] pcm) {
      short[] atRate = resampler == null ? pcm : resampler.process(pcm);
      return PCM.equals(wire.type()) ? Pcm.toLittleEndian(atRate) : wire.law().encode(atRate);
    }
  }
}
