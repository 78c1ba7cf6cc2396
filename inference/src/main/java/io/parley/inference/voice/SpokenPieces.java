package io.parley.inference.voice;

import io.parley.inference.tts.SentenceChunker;
import io.parley.inference.tts.Speakable;
import java.util.ArrayList;
import java.util.List;

/**
 * The pieces of one answer as they are spoken: cut at sentence boundaries ({@link SentenceChunker})
 * and cleared of Markdown syntax ({@link Speakable}); pieces with nothing to say are left out.
 * One per answer.
 */
public final class SpokenPieces implements VoiceSession.Chunker {

  private final SentenceChunker sentences = new SentenceChunker();
  private final Speakable speakable = new Speakable();

  @Override
  public List<String> add(String text) {
    return speak(sentences.push(text));
  }

  @Override
  public List<String> flush() {
    return speak(sentences.flush().map(List::of).orElse(List.of()));
  }

  private List<String> speak(List<String> pieces) {
    List<String> out = new ArrayList<>(pieces.size());
    for (String piece : pieces) {
      String said = speakable.apply(piece);
      if (!said.isEmpty()) {
        out.add(said);
      }
    }
    return out;
  }
}
