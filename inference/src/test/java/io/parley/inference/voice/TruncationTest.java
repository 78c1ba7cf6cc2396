package io.parley.inference.voice;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * What is kept of a cancelled answer, on a virtual clock: the client's truncate within the wait
 * decides how much was heard, else the server's playout clock does when the wait is over; each cut
 * is stored exactly once.
 */
class TruncationTest {

  private final ManualClock clock = new ManualClock();
  private final List<String> stored = new ArrayList<>();
  private final Truncation truncation = new Truncation(clock, (item, heard, spoken) -> stored.add(item + ": " + heard));

  /** Answer {@code item} as spoken: a sentence per 100 ms (at 1 kHz), named by the moment it ends. */
  private static SpokenText heard(String item) {
    SpokenText spoken = new SpokenText(1_000);
    for (int i = 1; i <= 20; i++) {
      spoken.add(item + "@" + i * 100, 100);
    }
    return spoken;
  }

  /** What is stored of {@code item} heard up to {@code ms}: its sentences that ended by then. */
  private static String kept(String item, long ms) {
    return item + ": " + IntStream.rangeClosed(1, (int) (ms / 100)).mapToObj(i -> item + "@" + i * 100)
        .collect(Collectors.joining(" "));
  }

  private void advance(long ms) {
    clock.advance(ms, Runnable::run);
  }

  @Test
  void theClientsTruncateWithinTheWaitDecides() {
    truncation.cut("item_a", 1_104, heard("item_a"));
    advance(300);
    assertThat(stored).isEmpty();
    assertThat(truncation.truncate("item_a", 500)).contains("item_a@100 item_a@200 item_a@300 item_a@400 item_a@500");
    assertThat(stored).containsExactly(kept("item_a", 500));
    advance(Truncation.WAIT_MS);
    assertThat(stored).as("stored once").hasSize(1);
  }

  @Test
  void withoutATruncateTheServersPlayoutClockDecidesWhenTheWaitIsOver() {
    truncation.cut("item_a", 1_104, heard("item_a"));
    advance(Truncation.WAIT_MS - 1);
    assertThat(stored).isEmpty();
    advance(1);
    assertThat(stored).containsExactly(kept("item_a", 1_104));
    assertThat(truncation.truncate("item_a", 500)).as("no cut waits: the conversation's answer is cut instead")
        .isEqualTo(Optional.empty());
    assertThat(stored).as("a truncate after the wait changes nothing").hasSize(1);
  }

  @Test
  void aTruncateOfAnotherItemIsIgnored() {
    truncation.cut("item_a", 700, heard("item_a"));
    assertThat(truncation.truncate("item_b", 100)).isEmpty();
    assertThat(stored).isEmpty();
    advance(Truncation.WAIT_MS);
    assertThat(stored).containsExactly(kept("item_a", 700));
  }

  @Test
  void aSecondCutStoresTheFirstAtOnceAsTheServerHeardIt() {
    truncation.cut("item_a", 480, heard("item_a"));
    advance(400);
    truncation.cut("item_b", 320, heard("item_b"));
    assertThat(stored).containsExactly(kept("item_a", 480));
    truncation.truncate("item_a", 100);
    assertThat(stored).as("the first is no longer waiting").hasSize(1);
    advance(Truncation.WAIT_MS);
    assertThat(stored).containsExactly(kept("item_a", 480), kept("item_b", 320));
  }
}
