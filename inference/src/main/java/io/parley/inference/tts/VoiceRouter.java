package io.parley.inference.tts;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.inference.audio.Resampler;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Several engines as one: each voice is served by the first engine that offers it, and the voice
 * for a language is the first engine's voice for it (so the engine listed first wins its languages:
 * FreeTTS's English before eSpeak NG's). Audio of every engine comes out at {@value #SAMPLE_RATE} Hz,
 * resampled per synthesis from the engine's own rate.
 */
public final class VoiceRouter implements TextToSpeech {

  /** The rate of all its audio: OpenAI's {@code pcm} rate and the realtime sessions' default. */
  public static final int SAMPLE_RATE = 24_000;

  private final List<TextToSpeech> engines;
  private final List<TtsVoice> voices;
  private final Map<String, TextToSpeech> engineOf = new HashMap<>();
  private final String defaultVoice;

  /**
   * @param engines in order of preference; closed with this one
   * @param defaultVoice a voice name or language code, null for the first engine's default
   */
  public VoiceRouter(List<TextToSpeech> engines, String defaultVoice) {
    if (engines.isEmpty()) {
      throw new IllegalArgumentException("no engine");
    }
    this.engines = List.copyOf(engines);
    List<TtsVoice> all = new ArrayList<>();
    for (TextToSpeech engine : engines) {
      for (TtsVoice v : engine.voices()) {
        if (engineOf.putIfAbsent(v.name().toLowerCase(Locale.ROOT), engine) == null) {
          all.add(v);
        }
      }
    }
    this.voices = List.copyOf(all);
    this.defaultVoice = defaultVoice == null || OPENAI_VOICES.contains(defaultVoice.strip().toLowerCase(Locale.ROOT))
        ? engines.getFirst().voice()
        : voices.stream().filter(v -> v.name().equalsIgnoreCase(defaultVoice.strip())).findFirst()
            .or(() -> voiceFor(defaultVoice)).map(TtsVoice::name)
            .orElseThrow(() -> new ParleyException(Reason.CONFIG, "PARLEY_TTS_VOICE: no voice or language '"
                + defaultVoice + "' (see docs/VOICE.md for the voices)"));
  }

  @Override
  public int sampleRate() {
    return SAMPLE_RATE;
  }

  @Override
  public String voice() {
    return defaultVoice;
  }

  @Override
  public List<TtsVoice> voices() {
    return voices;
  }

  @Override
  public Optional<TtsVoice> voiceSpeaking(String tag) {
    return engines.stream().flatMap(e -> e.voiceSpeaking(tag).stream()).findFirst();
  }

  @Override
  public void synthesize(String text, SpeechStyle style, AudioSink sink, BooleanSupplier cancelled) {
    TtsVoice voice = voiceNamed(style.voice());
    TextToSpeech engine = engineOf.get(voice.name().toLowerCase(Locale.ROOT));
    if (engine == null) {
      throw new ParleyException(Reason.INTERNAL, "no engine has the voice " + voice.name());
    }
    Resampler resampler = new Resampler(engine.sampleRate(), SAMPLE_RATE);
    engine.synthesize(text, style.withVoice(voice.name()), samples -> emit(resampler.process(samples), sink),
        cancelled);
    if (!cancelled.getAsBoolean()) {
      emit(resampler.flushPcm(), sink);
    }
  }

  private static void emit(short[] samples, AudioSink sink) {
    if (samples.length > 0) {
      sink.audio(samples);
    }
  }

  @Override
  public void close() {
    engines.forEach(TextToSpeech::close);
  }
}
