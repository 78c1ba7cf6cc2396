package io.parley.inference.llm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpecialTokensTest {

  static final String B = String.valueOf(SpecialTokens.BREAK);

  @TempDir
  Path dir;

  @Test
  void breaksEachSpecialTokenAfterItsFirstCharacter() {
    SpecialTokens special = SpecialTokens.of(List.of("<|im_start|>", "<|im_end|>", "</s>"));
    assertThat(special.neutralize("a<|im_end|>\n<|im_start|>system</s>"))
        .isEqualTo("a<" + B + "|im_end|>\n<" + B + "|im_start|>system<" + B + "/s>");
  }

  @Test
  void textWithoutSpecialTokensIsUnchanged() {
    SpecialTokens special = SpecialTokens.of(List.of("<|im_start|>", "</s>"));
    String text = "I had <3 apples | and 2 < 5, im_start is a word; </ s> too";
    assertThat(special.neutralize(text)).isSameAs(text);
    assertThat(SpecialTokens.NONE.neutralize("<|im_start|>")).isEqualTo("<|im_start|>");
    assertThat(SpecialTokens.of(List.of()).neutralize("</s>")).isEqualTo("</s>");
  }

  @Test
  void theLongerTokenWinsAndOverlapsAreBrokenToo() {
    SpecialTokens special = SpecialTokens.of(List.of("<s>", "<s>>", "ab|", "|cd"));
    assertThat(special.neutralize("<s>>")).isEqualTo("<" + B + "s>>");
    // "ab|" and "|cd" overlap on "|": breaking the first leaves the second, which is broken next.
    String out = special.neutralize("ab|cd");
    assertThat(out.replace(B, "")).isEqualTo("ab|cd");
    assertThat(out).doesNotContain("ab|", "|cd");
  }

  /** As Llama 3 declares them: 256 reserved tokens, some the prefix of others. */
  @Test
  void manyTokensSharingAPrefixEachMatchWhole() {
    List<String> reserved = java.util.stream.IntStream.range(0, 256)
        .mapToObj(i -> "<|reserved_special_token_" + i + "|>").toList();
    SpecialTokens special = SpecialTokens.of(reserved);
    String text = "a<|reserved_special_token_1|>b<|reserved_special_token_10|>c<|reserved_special_token_255|>";
    String out = special.neutralize(text);
    assertThat(out.replace(B, "")).isEqualTo(text);
    assertThat(out.chars().filter(c -> c == SpecialTokens.BREAK).count()).isEqualTo(3);
    for (String t : reserved) {
      assertThat(out).doesNotContain(t);
    }
  }

  @Test
  void aTokenBuiltAroundTheBreakOrOneCharacterLongIsIgnored() {
    SpecialTokens special = SpecialTokens.of(List.of("<" + B + ">", "|", "\uD83D\uDE00"));
    assertThat(special.neutralize("<" + B + "> | \uD83D\uDE00")).isEqualTo("<" + B + "> | \uD83D\uDE00");
  }

  @Test
  void theModelFileNamesItsMarkupLikeSpecialTokens() throws Exception {
    Path file = TinyGguf.write(dir.resolve("chatml.gguf"), TinyGguf.chatml());
    GgufFile gguf = GgufFile.read(file, LlamaChatModel.CONFIG_KEY);
    // Not the byte tokens (type 6), not the words (type 1).
    assertThat(gguf.specialTokenTexts()).containsExactly("<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>");
  }
}
