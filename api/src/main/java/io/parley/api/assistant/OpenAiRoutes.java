package io.parley.api.assistant;

import io.parley.api.http.ApiProblem;
import io.parley.api.http.Authenticator;
import io.parley.api.http.Responses;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.inference.tts.SpeechStyle;
import io.parley.inference.tts.TextToSpeech;
import io.parley.inference.stt.Languages;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;

/**
 * OpenAI-compatible HTTP endpoints under {@code /v1}, so that existing OpenAI clients work with
 * Parley by changing their base URL: chat completions ({@link ChatCompletions}), audio transcriptions
 * and speech. Authentication is Parley's access token, sent the way the OpenAI
 * clients send their API key ({@code Authorization: Bearer}). Errors keep Parley's error shape, whose
 * {@code error.message} and {@code error.code} the OpenAI clients read.
 *
 * @see <a href="https://platform.openai.com/docs/api-reference/chat/create">Create chat completion</a>
 */
final class OpenAiRoutes {

  private final VoiceServices voice;
  private final ChatCompletions chat;

  OpenAiRoutes(VoiceServices voice, ChatCompletions chat) {
    this.voice = voice;
    this.chat = chat;
  }

  /** Largest audio upload for transcription (OpenAI's limit). */
  static final String TRANSCRIPTIONS = "/v1/audio/transcriptions";
  /** Longest text for speech. */
  static final int MAX_SPEECH_CHARS = 4096;

  public void mount(Router router) {
    router.post("/v1/chat/completions").handler(chat::handle);
    router.post(TRANSCRIPTIONS).handler(this::transcribe);
    router.post("/v1/audio/speech").handler(this::speech);
  }

  /** {@code POST /v1/audio/transcriptions}: a multipart WAV file to Whisper. */
  private void transcribe(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      Authenticator.userId(ctx);
      var upload = ctx.fileUploads().stream().filter(f -> "file".equals(f.name())).findFirst()
          .orElseThrow(() -> ApiProblem.field("/file", "required", "a multipart field 'file' with a WAV file is required"));
      var stt = voice.speechToText().orElseThrow(() -> new ParleyException(Reason.UNAVAILABLE,
          voice.speechToTextMissing()));
      java.util.Optional<String> language = language(ctx.request().getFormAttribute("language"), stt);
      String format = java.util.Objects.requireNonNullElse(ctx.request().getFormAttribute("response_format"), "json");
      if (!Set.of("json", "text", "verbose_json").contains(format)) {
        throw ApiProblem.field("/response_format", "enum", "response_format must be json, text or verbose_json");
      }
      String path = upload.uploadedFileName();
      voice.sttWorkers().executeBlocking(() -> {
        io.parley.inference.audio.Wav.Audio audio;
        try {
          audio = io.parley.inference.audio.Wav.read(java.nio.file.Files.readAllBytes(java.nio.file.Path.of(path)));
        } catch (RuntimeException e) {
          throw new ApiProblem(400, "invalid_audio", "the file is not a PCM16 WAV file: " + e.getMessage(), null);
        }
        short[] pcm = io.parley.inference.audio.Resampler.resample(audio.mono(), audio.sampleRate(),
            io.parley.inference.vad.VoiceActivityModel.SAMPLE_RATE);
        return stt.transcribe(io.parley.inference.audio.Pcm.toFloat(pcm), language);
      }, false).onComplete(ar -> {
        if (ar.failed()) {
          ctx.fail(ar.cause());
          return;
        }
        String text = ar.result().text().strip();
        if ("text".equals(format)) {
          ctx.response().putHeader("Content-Type", "text/plain; charset=utf-8").end(text);
        } else {
          JsonObject out = new JsonObject().put("text", text);
          if ("verbose_json".equals(format)) {
            out.put("language", languageName(ar.result().language()));
          }
          ctx.response().putHeader("Content-Type", "application/json").end(out.encode());
        }
      });
    });
  }

  /**
   * A request's {@code language}: an ISO 639-1 code Whisper knows, or absent, blank or {@code auto}
   * to detect it; refused naming the code when unknown or when the model is English-only.
   */
  private static java.util.Optional<String> language(String value, io.parley.inference.stt.SpeechToText stt) {
    try {
      java.util.Optional<String> language = Languages.parse(value, "language");
      Languages.requireSupported(language, stt.multilingual(), stt.model());
      return language;
    } catch (ParleyException e) {
      throw ApiProblem.field("/language", "enum", e.getMessage());
    }
  }

  /** verbose_json's {@code language} as OpenAI's whisper-1 writes it: the English name, lower case ("spanish"). */
  static String languageName(String code) {
    return Languages.known(code) ? Languages.englishName(code).toLowerCase(java.util.Locale.ROOT) : code;
  }

  /** {@code POST /v1/audio/speech}: text to WAV (default) or raw PCM16 at 24 kHz. */
  private void speech(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      Authenticator.userId(ctx);
      JsonObject body = ctx.body().asJsonObject();
      if (body == null || !(body.getValue("input") instanceof String input) || input.isBlank()) {
        throw ApiProblem.field("/input", "required", "input must be a non-empty string");
      }
      if (input.length() > MAX_SPEECH_CHARS) {
        throw ApiProblem.field("/input", "maxLength", "at most " + MAX_SPEECH_CHARS + " characters");
      }
      String format = body.getString("response_format", "wav");
      if (!Set.of("wav", "pcm").contains(format)) {
        throw ApiProblem.field("/response_format", "enum", "response_format must be wav or pcm");
      }
      var tts = voice.textToSpeech().orElseThrow(() -> new ParleyException(Reason.UNAVAILABLE,
          voice.textToSpeechMissing()));
      SpeechStyle style = speechStyle(body, tts);
      int rate = "pcm".equals(format) ? 24_000 : tts.sampleRate();
      voice.ttsWorkers().executeBlocking(() -> {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        io.parley.inference.audio.Resampler resampler = new io.parley.inference.audio.Resampler(tts.sampleRate(), rate);
        tts.synthesize(input, style, samples -> out.writeBytes(io.parley.inference.audio.Pcm.toLittleEndian(
            resampler.process(samples))), () -> false);
        out.writeBytes(io.parley.inference.audio.Pcm.toLittleEndian(resampler.flushPcm()));
        byte[] pcm = out.toByteArray();
        return "pcm".equals(format) ? pcm
            : io.parley.inference.audio.Wav.write(io.parley.inference.audio.Pcm.fromLittleEndian(pcm), rate);
      }, false).onComplete(ar -> {
        if (ar.failed()) {
          ctx.fail(ar.cause());
          return;
        }
        ctx.response().putHeader("Content-Type", "pcm".equals(format) ? "audio/pcm" : "audio/wav")
            .end(io.vertx.core.buffer.Buffer.buffer(ar.result()));
      });
    });
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
}
