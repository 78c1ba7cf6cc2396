package io.parley.inference.tts;

/**
 * How a text is spoken: which voice, how fast.
 *
 * @param voice a voice name the engine resolves ({@link TextToSpeech#voiceNamed}), or null for its default
 * @param speed 1 is the voice's normal pace, 2 twice as fast; {@value #MIN_SPEED} to {@value #MAX_SPEED}
 *     as in OpenAI's {@code /v1/audio/speech}. Engines honour what they can (eSpeak NG speaks no slower
 *     than 80 words a minute, 0.46 of its normal 175)
 */
public record SpeechStyle(String voice, double speed) {

  public static final double MIN_SPEED = 0.25;
  public static final double MAX_SPEED = 4.0;
  /** The engine's default voice at its normal pace. */
  public static final SpeechStyle DEFAULT = new SpeechStyle(null, 1.0);

  public SpeechStyle {
    if (!(speed >= MIN_SPEED && speed <= MAX_SPEED)) {
      throw new IllegalArgumentException("speed must be " + MIN_SPEED + " to " + MAX_SPEED + ", not " + speed);
    }
  }

  public SpeechStyle withVoice(String name) {
    return new SpeechStyle(name, speed);
  }

  public SpeechStyle withSpeed(double s) {
    return new SpeechStyle(voice, s);
  }
}
