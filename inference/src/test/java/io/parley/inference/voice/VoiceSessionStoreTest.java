package io.parley.inference.voice;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An answer is in the conversation log before its response.done goes out: a client that reconnects
 * the moment it sees response.done reads the answer.
 */
class VoiceSessionStoreTest {

  private final VoiceFixture fx = new VoiceFixture();

  @AfterEach
  void stop() {
    fx.close();
  }

  @Test
  void responseDoneWaitsUntilTheAnswerIsStored() {
    fx.open(true);
    fx.holdWrites = true;
    fx.run(() -> fx.session.userText("item_user", "what is in a banana?", null));
    fx.idle(5_000); // the answer plays out
    // Writes go one at a time, in the order things were said: the answer's waits for the user's.
    VoiceFixture.await("the user's write sent", () -> fx.heldWrites.size() == 1);
    fx.settle();
    assertThat(fx.heldWrites).hasSize(1);
    io.vertx.core.Promise<UUID> user = fx.heldWrites.get(0);
    fx.run(() -> user.complete(UUID.randomUUID()));
    VoiceFixture.await("the answer's write sent", () -> fx.heldWrites.size() == 2);
    fx.settle();
    assertThat(fx.events("response_done")).as("not before the answer is stored").isEmpty();
    assertThat(fx.on(fx.session::responding)).isTrue();

    fx.run(() -> fx.session.cancelResponse(VoiceEvent.Reason.CLIENT_CANCELLED));
    assertThat(fx.events("response_done")).as("an answer that ended is not cancelled while it is stored").isEmpty();

    io.vertx.core.Promise<UUID> answer = fx.heldWrites.get(1);
    fx.run(() -> answer.complete(UUID.randomUUID()));
    VoiceFixture.await("response.done after the store", () -> !fx.events("response_done").isEmpty());
    assertThat(fx.events("response_done")).extracting(VoiceFixture.Event::value).containsExactly("completed");
    assertThat(fx.stored).extracting(m -> m.role()).containsExactly("user", "assistant");
    assertThat(fx.stored.get(1).content()).isEqualTo("First sentence is here. Second one follows it.");
    assertThat(fx.on(fx.session::responding)).isFalse();
  }
}
