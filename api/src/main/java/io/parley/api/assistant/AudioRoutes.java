package io.parley.api.assistant;

import io.parley.api.http.ApiProblem;
import io.parley.api.http.Authenticator;
import io.parley.api.http.MemoryUploads;
import io.parley.api.http.Responses;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.inference.audio.codec.AudioDecoder;
import io.parley.inference.audio.codec.AudioEncoder;
import io.parley.inference.audio.codec.DecodedAudio;
import io.parley.inference.audio.codec.EncodedAudio;
import io.parley.inference.audio.codec.SpeechFormat;
import io.parley.inference.stt.Languages;
import io.parley.inference.stt.SpeechToText;
import io.parley.inference.tts.SpeechStyle;
import io.parley.inference.tts.TextToSpeech;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * OpenAI's audio endpoints: {@code POST /v1/audio/transcriptions} (a compressed or WAV upload,
 * read into memory by {@link MemoryUploads} within {@code PARLEY_AUDIO_UPLOAD_MEMORY}, decoded by {@link AudioDecoder} on the codec workers, transcribed by Whisper on the STT workers
 * with its timed segments, whatever the format, so every format of one file carries the same text,
 * answered in the asked {@link TranscriptionFormat}) and {@code POST /v1/audio/speech} (text
 * synthesised on the TTS workers, encoded by {@link AudioEncoder} on the codec workers in the
 * asked {@link SpeechFormat}). Nothing here blocks the event loop.
 *
 * @see <a href="https://platform.openai.com/docs/api-reference/audio">OpenAI audio API</a>
 */
public final class AudioRoutes {

  static final String TRANSCRIPTIONS = "/v1/audio/transcriptions";
  static final String SPEECH = "/v1/audio/speech";
  /** Longest text for speech (OpenAI's limit). */
  static final int MAX_SPEECH_CHARS = 4096;

  private final VoiceServices voice;

  public AudioRoutes(VoiceServices voice) {
    this.voice = voice;
  }

  public void mount(Router router) {
    router.post(TRANSCRIPTIONS).handler(this::transcribe);
    router.post(SPEECH).handler(this::speech);
  }

  /** {@code POST /v1/audio/transcriptions}: a multipart audio file to text. */
  private void transcribe(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      String user = Authenticator.userId(ctx).toString();
      var upload = MemoryUploads.part(ctx, "file").orElseThrow(() -> ApiProblem.field("/file", "required",
          "a multipart field 'file' with the audio is required (" + AudioDecoder.ACCEPTED + ")"));
      SpeechToText stt = voice.speechToText().orElseThrow(() -> new ParleyException(Reason.UNAVAILABLE,
          voice.speechToTextMissing()));
      Optional<String> language = language(ctx.request().getFormAttribute("language"), stt);
      String asked = Objects.requireNonNullElse(ctx.request().getFormAttribute("response_format"), "json");
      TranscriptionFormat format = TranscriptionFormat.of(asked).orElseThrow(() -> ApiProblem.field(
          "/response_format", "enum", "response_format must be one of " + TranscriptionFormat.names()));
      voice.codecWorkers().<DecodedAudio>executeBlocking(() -> {
        try {
          return voice.decoder().decode(upload.data().getBytes());
        } catch (ParleyException e) {
          throw refused(e);
        }
      }, false).compose(audio -> {
        // In the user's turn on the shared workers; withdrawn unrun if the client goes away first.
        FairWorkers.Job<Transcription> job = voice.sttWorkers().submit("user:" + user, () -> Transcription.of(
            stt.transcribeTimed(audio.samples(), language), audio.seconds()));
        if (ctx.response().closed()) {
          job.cancel();
        } else {
          ctx.addEndHandler(ended -> job.cancel());
        }
        return job.result();
      }).onComplete(ar -> {
        if (ctx.response().closed()) {
          return; // nobody to answer
        }
        if (ar.failed()) {
          ctx.fail(ar.cause());
          return;
        }
        ctx.response().putHeader("Content-Type", format.contentType()).end(format.render(ar.result()));
      });
    });
  }

  /** The decoder's refusals with their own status: 413 for too long, 400 for the rest. */
  private static RuntimeException refused(ParleyException e) {
    String code = e.code().orElse("");
    return switch (code) {
      case AudioDecoder.AUDIO_TOO_LONG -> new ApiProblem(413, code, e.getMessage(), null);
      case AudioDecoder.INVALID_AUDIO, AudioDecoder.UNSUPPORTED_AUDIO -> new ApiProblem(400, code, e.getMessage(), null);
      default -> e;
    };
  }

  /** {@code POST /v1/audio/speech}: text to audio in the asked format (WAV by default). */
  private void speech(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      Authenticator.userId(ctx);
      JsonObject body = ApiProblem.jsonObject(ctx);
      if (!(body.getValue("input") instanceof String input) || input.isBlank()) {
        throw ApiProblem.field("/input", "required", "input must be a non-empty string");
      }
      if (input.length() > MAX_SPEECH_CHARS) {
        throw ApiProblem.field("/input", "maxLength", "at most " + MAX_SPEECH_CHARS + " characters");
      }
      Set<SpeechFormat> supported = AudioEncoder.supported();
      if (!(body.getValue("response_format", "wav") instanceof String asked)) {
        throw ApiProblem.field("/response_format", "type", "response_format must be a string");
      }
      SpeechFormat format = SpeechFormat.of(asked).filter(supported::contains)
          .orElseThrow(() -> ApiProblem.field("/response_format", "enum", "response_format must be one of "
              + SpeechFormat.names(supported) + " on this server"));
      TextToSpeech tts = voice.textToSpeech().orElseThrow(() -> new ParleyException(Reason.UNAVAILABLE,
          voice.textToSpeechMissing()));
      SpeechStyle style = speechStyle(body, tts);
      voice.ttsWorkers().<short[]>executeBlocking(() -> {
        ShortBuffer speech = new ShortBuffer();
        tts.synthesize(input, style, speech::append, () -> false);
        return speech.toArray();
      }, false).compose(pcm -> voice.codecWorkers().<EncodedAudio>executeBlocking(
          () -> AudioEncoder.encode(pcm, tts.sampleRate(), format), false)).onComplete(ar -> {
            if (ar.failed()) {
              ctx.fail(ar.cause());
              return;
            }
            ctx.response().putHeader("Content-Type", ar.result().contentType()).end(Buffer.buffer(ar.result().data()));
          });
    });
  }

  /**
   * A request's {@code language}: an ISO 639-1 code Whisper knows, or absent, blank or {@code auto}
   * to detect it; refused naming the code when unknown or when the model is English-only.
   */
  private static Optional<String> language(String value, SpeechToText stt) {
    try {
      Optional<String> language = Languages.parse(value, "language");
      Languages.requireSupported(language, stt.multilingual(), stt.model());
      return language;
    } catch (ParleyException e) {
      throw ApiProblem.field("/language", "enum", e.getMessage());
    }
  }

  /**
   * The speech request's {@code voice} (a voice name, a language code such as {@code es}, or an
   * OpenAI voice name for the default voice) and {@code speed} (0.25 to 4.0, OpenAI's range).
   */
  private static SpeechStyle speechStyle(JsonObject body, TextToSpeech tts) {
    Object asked = body.getValue("voice");
    if (asked != null && !(asked instanceof String)) {
      throw ApiProblem.field("/voice", "type", "voice must be a voice name or a language code");
    }
    String name;
    try {
      name = tts.voiceNamed((String) asked).name();
    } catch (ParleyException e) {
      throw ApiProblem.field("/voice", "enum", e.getMessage());
    }
    Object speed = body.getValue("speed", 1.0);
    if (!(speed instanceof Number n)
        || !(n.doubleValue() >= SpeechStyle.MIN_SPEED && n.doubleValue() <= SpeechStyle.MAX_SPEED)) {
      throw ApiProblem.field("/speed", "range", "speed must be a number from " + SpeechStyle.MIN_SPEED + " to "
          + SpeechStyle.MAX_SPEED + ", not " + speed);
    }
    return new SpeechStyle(name, n.doubleValue());
  }

  /** Samples appended chunk by chunk. */
  private static final class ShortBuffer {
    private short[] samples = new short[16_384];
    private int size;

    void append(short[] chunk) {
      if (size + chunk.length > samples.length) {
        samples = java.util.Arrays.copyOf(samples, Math.max(size + chunk.length, samples.length * 2));
      }
      System.arraycopy(chunk, 0, samples, size, chunk.length);
      size += chunk.length;
    }

    short[] toArray() {
      return java.util.Arrays.copyOf(samples, size);
    }
  }
}
