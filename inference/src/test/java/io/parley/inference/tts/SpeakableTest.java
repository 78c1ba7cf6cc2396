package io.parley.inference.tts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What a Markdown answer sounds like: its text, not its syntax. */
class SpeakableTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiterString = "=>", emptyValue = "", textBlock = """
      A banana has about 105 kcal.                 => A banana has about 105 kcal.
      **Bananas** are *rich* in potassium.          => Bananas are rich in potassium.
      __Note:__ eat ~~less~~ more fruit!           => Note: eat less more fruit!
      ## Breakfast ideas                           => Breakfast ideas
      - Oatmeal with berries                       => Oatmeal with berries
      * Greek yoghurt                              => Greek yoghurt
      > Drink water first.                         => Drink water first.
      1. Eat slowly.                               => 1. Eat slowly.
      See [the guide](https://example.org/g) now.  => See the guide now.
      ![a plate](img.png) Balanced plate.          => a plate Balanced plate.
      Use `snake_case` names like my_var.          => Use snake_case names like my_var.
      3 * 4 is 12.                                 => 3 * 4 is 12.
      Line<br>break                                => Line break
      | Food | kcal |                              => Food , kcal
      |---|---:|                                   => ''
      ---                                          => ''
      **                                           => ''
      - **                                         => ''
      """)
  void speaksTheTextNotTheSyntax(String markdown, String spoken) {
    assertThat(new Speakable().apply(markdown)).isEqualTo(spoken);
  }

  @Test
  void emphasisSplitAcrossPiecesLosesBothHalves() {
    Speakable s = new Speakable();
    assertThat(s.apply("**This is important.")).isEqualTo("This is important.");
    assertThat(s.apply("Really important.**")).isEqualTo("Really important.");
  }

  @Test
  void fencedCodeIsNotSpoken() {
    Speakable s = new Speakable();
    List<String> spoken = List.of("Here is code:", "```python", "print('hi')", "x = 1", "```", "That prints hi.")
        .stream().map(s::apply).filter(p -> !p.isEmpty()).toList();
    assertThat(spoken).containsExactly("Here is code:", "That prints hi.");
  }

  @Test
  void theChunkersPiecesOfAMarkdownAnswerComeOutClean() {
    SentenceChunker chunker = new SentenceChunker();
    Speakable s = new Speakable();
    String answer = "## Snacks\n- **Apple**: about 95 kcal.\n- *Banana*: about 105 kcal.\n\nEnjoy!";
    List<String> pieces = new java.util.ArrayList<>(chunker.push(answer));
    chunker.flush().ifPresent(pieces::add);
    List<String> spoken = pieces.stream().map(s::apply).filter(p -> !p.isEmpty()).toList();
    assertThat(String.join(" ", spoken)).doesNotContain("*", "#", "_").contains("Apple: about 95 kcal.",
        "Banana: about 105 kcal.", "Enjoy!");
  }
}
