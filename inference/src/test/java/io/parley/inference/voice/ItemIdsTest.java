package io.parley.inference.voice;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Item and response ids are unique, and every committed item follows the conversation's last one. */
class ItemIdsTest {

  private final ItemIds items = new ItemIds();

  @Test
  void idsAreUniqueAndSayWhatTheyName() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 1_000; i++) {
      assertThat(items.newItem()).startsWith("item_").satisfies(id -> assertThat(seen.add(id)).isTrue());
      assertThat(items.newResponse()).startsWith("resp_").satisfies(id -> assertThat(seen.add(id)).isTrue());
    }
  }

  @Test
  void aCommittedItemFollowsTheLastUserTurnOrAnswer() {
    assertThat(items.committed("item_1")).isEqualTo(new VoiceEvent.TurnCommitted("item_1", null));
    assertThat(items.committed("item_2")).isEqualTo(new VoiceEvent.TurnCommitted("item_2", "item_1"));
    items.answered("item_3");
    assertThat(items.committed("item_4")).isEqualTo(new VoiceEvent.TurnCommitted("item_4", "item_3"));
  }

  @Test
  void aCreatedItemFollowsTheLastAndADeletedLastOneGivesWayToTheOneBefore() {
    assertThat(items.last()).isNull();
    items.created("item_1");
    items.answered("item_2");
    items.created("item_3");
    assertThat(items.last()).isEqualTo("item_3");
    items.deleted("item_2");
    assertThat(items.last()).as("an item in the middle deleted").isEqualTo("item_3");
    items.deleted("item_3");
    assertThat(items.last()).isEqualTo("item_1");
    assertThat(items.committed("item_4")).isEqualTo(new VoiceEvent.TurnCommitted("item_4", "item_1"));
    items.deleted("item_4");
    items.deleted("item_1");
    assertThat(items.last()).isNull();
  }
}
