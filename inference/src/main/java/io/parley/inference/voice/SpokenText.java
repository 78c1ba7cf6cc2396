package io.parley.inference.voice;

import java.util.ArrayList;
import java.util.List;

/**
 * How an answer's text was spoken: its sentences in order, each with the samples of audio it made
 * at the session's output rate. It tells the text heard by a moment of playout
 * ({@link #heardBy}): whole sentences while their audio fits, then the sentence playing at that
 * moment cut in proportion to its characters (speech time per character taken as even within a
 * sentence, since TTS gives no word timings), back to the last whole word. Grows on the session's
 * context while the answer is spoken.
 */
final class SpokenText {

  /** One spoken sentence and the samples of audio it made. */
  private record Sentence(String text, long samples) {}

  private final int outputRate;
  private final List<Sentence> sentences = new ArrayList<>();

  SpokenText(int outputRate) {
    this.outputRate = outputRate;
  }

  /** Sentence {@code text} was spoken in {@code samples} samples, after the ones before it. */
  void add(String text, long samples) {
    sentences.add(new Sentence(text, samples));
  }

  /** The text heard by {@code playedMs} of playout. */
  String heardBy(long playedMs) {
    long budget = playedMs * outputRate / 1000;
    StringBuilder out = new StringBuilder();
    for (Sentence s : sentences) {
      if (!out.isEmpty()) {
        out.append(' '); // the chunker's sentences come without the space between them
      }
      if (budget >= s.samples()) {
        out.append(s.text());
        budget -= s.samples();
        continue;
      }
      if (budget > 0 && s.samples() > 0) {
        int cut = (int) (s.text().length() * budget / s.samples());
        int space = s.text().lastIndexOf(' ', cut);
        out.append(s.text(), 0, Math.max(0, space));
      }
      break;
    }
    return out.toString().strip();
  }
}
