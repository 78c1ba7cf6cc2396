package io.parley.inference.tts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SentenceChunkerTest {

  private static final int MIN = SentenceChunker.DEFAULT_MIN_CHARS;
  private static final int MAX = SentenceChunker.DEFAULT_MAX_CHARS;

  static Stream<Arguments> cases() {
    return Stream.of(
        row("sentences", MIN, MAX, "Hello there. How are you today? I am fine!",
            "Hello there.", "How are you today?", "I am fine!"),
        row("decimal numbers", MIN, MAX, "The price is 3.5 dollars today. That is cheap enough.",
            "The price is 3.5 dollars today.", "That is cheap enough."),
        row("number at a sentence end", MIN, MAX, "The total is 42. We can pay it now.",
            "The total is 42.", "We can pay it now."),
        row("abbreviations", MIN, MAX,
            "Dr. Smith will see you at noon. Bring e.g. your notes, i.e. the paper ones. Cats vs. dogs is a debate.",
            "Dr. Smith will see you at noon.", "Bring e.g. your notes, i.e. the paper ones.",
            "Cats vs. dogs is a debate."),
        row("titles", MIN, MAX, "Mr. and Mrs. Jones arrived early. They sat down.",
            "Mr. and Mrs. Jones arrived early.", "They sat down."),
        row("initialism", MIN, MAX, "U.S. trade is large today. Yes indeed it is.",
            "U.S. trade is large today.", "Yes indeed it is."),
        row("initials", MIN, MAX, "J. R. R. Tolkien wrote many books. He was English.",
            "J. R. R. Tolkien wrote many books.", "He was English."),
        row("the pronoun I ends a sentence", MIN, MAX, "That is what I. Said before.",
            "That is what I.", "Said before."),
        row("ellipses", MIN, MAX, "Well... I am not sure about that. Hmm… let me think about it.",
            "Well... I am not sure about that.", "Hmm… let me think about it."),
        row("newlines", MIN, MAX, "Here is the plan:\nEat more vegetables\n\nSleep eight hours",
            "Here is the plan:", "Eat more vegetables", "Sleep eight hours"),
        row("tiny fragments merge", MIN, MAX, "Sure! I can help you with that today.",
            "Sure! I can help you with that today."),
        row("merging stops at the minimum", MIN, MAX, "Hi. Ok. Yes. Great, thanks a lot.",
            "Hi. Ok. Yes.", "Great, thanks a lot."),
        row("closing quotes", MIN, MAX, "He said \"stop right now.\" Then he left the room.",
            "He said \"stop right now.\"", "Then he left the room."),
        row("bold markdown", MIN, MAX, "**Drink more water.** It helps a lot.",
            "**Drink more water.**", "It helps a lot."),
        row("punctuation runs", MIN, MAX, "Are you serious?! That is amazing news.",
            "Are you serious?!", "That is amazing news."),
        row("no space after the period", MIN, MAX, "Visit example.com today.Or not at all.",
            "Visit example.com today.Or not at all."),
        row("whitespace collapses", MIN, MAX, "  Lots   of\tspace here.   Next one is here.  ",
            "Lots of space here.", "Next one is here."),
        row("nothing", MIN, MAX, ""),
        row("only whitespace", MIN, MAX, " \n\n  "),
        row("forced cut at a comma, then a space", 5, 40,
            "This sentence is long, it keeps going and going without any stop at all",
            "This sentence is long,", "it keeps going and going without any", "stop at all"),
        row("forced cut inside a word", 1, 10, "abcdefghijklmnopqrstuvwxyz", "abcdefghij", "klmnopqrst", "uvwxyz"),
        row("forced cut keeps surrogate pairs", 1, 4, "abc\uD83D\uDE00def", "abc", "\uD83D\uDE00de", "f"));
  }

  private static Arguments row(String name, int min, int max, String text, String... pieces) {
    return Arguments.of(name, min, max, text, List.of(pieces));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void cutsTheSameWhateverTheStreamingSplit(String name, int min, int max, String text, List<String> expected) {
    assertThat(feed(new SentenceChunker(min, max), List.of(text))).as("whole").isEqualTo(expected);
    assertThat(feed(new SentenceChunker(min, max), text.chars().mapToObj(c -> String.valueOf((char) c)).toList()))
        .as("char by char").isEqualTo(expected);
    Random random = new Random(name.hashCode());
    for (int round = 0; round < 5; round++) {
      List<String> parts = new ArrayList<>();
      for (int at = 0; at < text.length(); ) {
        int n = Math.min(text.length() - at, random.nextInt(1, 8));
        parts.add(text.substring(at, at + n));
        at += n;
      }
      assertThat(feed(new SentenceChunker(min, max), parts)).as("split %s", parts).isEqualTo(expected);
    }
  }

  private static List<String> feed(SentenceChunker chunker, List<String> parts) {
    List<String> out = new ArrayList<>();
    parts.forEach(p -> out.addAll(chunker.push(p)));
    chunker.flush().ifPresent(out::add);
    return out;
  }

  @Test
  void theFirstSentenceIsReadyBeforeTheAnswerEnds() {
    SentenceChunker chunker = new SentenceChunker();
    assertThat(chunker.push("Hello there, my friend")).isEmpty();
    assertThat(chunker.push(".")).isEmpty(); // "3." could become "3.5": the period needs the next character
    assertThat(chunker.push(" How are")).containsExactly("Hello there, my friend.");
    assertThat(chunker.push(" you")).isEmpty();
    assertThat(chunker.flush()).contains("How are you");
    assertThat(chunker.flush()).isEmpty();
  }

  @Test
  void clearDropsAnInterruptedAnswer() {
    SentenceChunker chunker = new SentenceChunker();
    chunker.push("Half a sentence that was");
    chunker.clear();
    assertThat(chunker.push("New answer here. Yes")).containsExactly("New answer here.");
  }

  @Test
  void limitsAreChecked() {
    assertThatThrownBy(() -> new SentenceChunker(10, 10)).isInstanceOf(IllegalArgumentException.class);
  }
}
