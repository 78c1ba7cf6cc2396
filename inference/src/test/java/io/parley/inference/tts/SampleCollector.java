package io.parley.inference.tts;

import java.util.ArrayList;
import java.util.List;

/** An {@link TextToSpeech.AudioSink} that keeps everything, in order. */
class SampleCollector implements TextToSpeech.AudioSink {
  private final List<short[]> chunks = new ArrayList<>();

  @Override
  public synchronized void audio(short[] samples) {
    chunks.add(samples);
  }

  synchronized int chunks() {
    return chunks.size();
  }

  synchronized short[] samples() {
    int n = chunks.stream().mapToInt(c -> c.length).sum();
    short[] all = new short[n];
    int at = 0;
    for (short[] c : chunks) {
      System.arraycopy(c, 0, all, at, c.length);
      at += c.length;
    }
    return all;
  }
}
