package io.parley.inference.audio.codec;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The {@code response_format}s of {@code /v1/audio/speech} that Parley encodes, with their media
 * types and the rate each is written at.
 *
 * @see <a href="https://platform.openai.com/docs/api-reference/audio/createSpeech">Create speech</a>
 */
public enum SpeechFormat {
  /** RIFF/WAVE PCM16 mono at the engine's own rate (the header says which). */
  WAV("wav", "audio/wav", 0),
  /** Raw PCM16 little-endian mono at 24 kHz, as OpenAI's {@code pcm}: no header, so the rate is fixed. */
  PCM("pcm", "audio/pcm", 24_000),
  /** Opus in Ogg (RFC 7845; {@code audio/ogg} is its registered type) at 24 kHz. */
  OPUS("opus", "audio/ogg", 24_000),
  /** MPEG-2 Layer III at 24 kHz. */
  MP3("mp3", "audio/mpeg", 24_000);

  private final String wire;
  private final String contentType;
  private final int rate;

  SpeechFormat(String wire, String contentType, int rate) {
    this.wire = wire;
    this.contentType = contentType;
    this.rate = rate;
  }

  /** The name in requests. */
  public String wire() {
    return wire;
  }

  public String contentType() {
    return contentType;
  }

  /** The rate the audio is written at; for {@link #WAV} that of the input. */
  int rate(int inputRate) {
    return rate == 0 ? inputRate : rate;
  }

  /** The format named {@code name} in a request, if Parley knows it. */
  public static Optional<SpeechFormat> of(String name) {
    return Arrays.stream(values()).filter(f -> f.wire.equals(name.toLowerCase(Locale.ROOT))).findFirst();
  }

  /** Wire names, comma separated, for error messages. */
  public static String names(java.util.Collection<SpeechFormat> formats) {
    return formats.stream().map(SpeechFormat::wire).collect(Collectors.joining(", "));
  }
}
