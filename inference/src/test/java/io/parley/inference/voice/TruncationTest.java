package io.parley.inference.voice;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;

/**
 * What is kept of a cancelled answer, on a virtual clock: the client's truncate within the wait
 * decides how much was heard, else the server's playout clock does when the wait is over; each cut
 * is stored exactly once.
 */
class TruncationTest {

  private final ManualClock clock = new ManualClock();
  private final List<String> stored = new ArrayList<>();
  private final Truncation truncation = new Truncation(clock, stored::add);

  /** The text "heard" of answer {@code item} by a moment of playout, as a responder would tell it. */
  private static LongFunction<String> heard(String item) {
    return ms -> item + " heard " + ms + " ms";
  }

  private void advance(long ms) {
    clock.advance(ms, Runnable::run);
  }

  @Test
  void theClientsTruncateWithinTheWaitDecides() {
    truncation.cut("item_a", 1_104, heard("item_a"));
    advance(300);
    assertThat(stored).isEmpty();
    truncation.truncate("item_a", 500);
    assertThat(stored).containsExactly("item_a heard 500 ms");
    advance(Truncation.WAIT_MS);
    assertThat(stored).as("stored once").hasSize(1);
  }

  @Test
  void withoutATruncateTheServersPlayoutClockDecidesWhenTheWaitIsOver() {
    truncation.cut("item_a", 1_104, heard("item_a"));
    advance(Truncation.WAIT_MS - 1);
    assertThat(stored).isEmpty();
    advance(1);
    assertThat(stored).containsExactly("item_a heard 1104 ms");
    truncation.truncate("item_a", 500);
    assertThat(stored).as("a truncate after the wait changes nothing").hasSize(1);
  }

  @Test
  void aTruncateOfAnotherItemIsIgnored() {
    truncation.cut("item_a", 700, heard("item_a"));
    truncation.truncate("item_b", 100);
    assertThat(stored).isEmpty();
    advance(Truncation.WAIT_MS);
    assertThat(stored).containsExactly("item_a heard 700 ms");
  }

  @Test
  void aSecondCutStoresTheFirstAtOnceAsTheServerHeardIt() {
    truncation.cut("item_a", 480, heard("item_a"));
    advance(400);
    truncation.cut("item_b", 320, heard("item_b"));
    assertThat(stored).containsExactly("item_a heard 480 ms");
    truncation.truncate("item_a", 100);
    assertThat(stored).as("the first is no longer waiting").hasSize(1);
    advance(Truncation.WAIT_MS);
    assertThat(stored).containsExactly("item_a heard 480 ms", "item_b heard 320 ms");
  }
}
