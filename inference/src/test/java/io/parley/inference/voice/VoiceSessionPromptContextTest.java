package io.parley.inference.voice;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.inference.llm.ChatMessage;
import io.vertx.core.Promise;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Each answer's system prompt carries the session's {@link PromptContext} under the instructions,
 * looked up afresh for that answer with the latest user message; an answer cancelled while its
 * context is looked up never reaches the model.
 */
class VoiceSessionPromptContextTest {

  private VoiceFixture fx;

  @AfterEach
  void stop() {
    if (fx != null) {
      fx.close();
    }
  }

  @Test
  void eachAnswerCarriesTheContextLookedUpForItUnderTheInstructions() {
    fx = new VoiceFixture();
    fx.answer = List.of("Fine.");
    fx.open(false);
    List<String> asked = new CopyOnWriteArrayList<>();
    fx.run(() -> fx.session.promptContext(text -> {
      asked.add(text);
      return io.vertx.core.Future.succeededFuture("The user is allergic to peanuts (" + asked.size() + ").");
    }));
    fx.run(() -> fx.session.addUserText("item_user", "Is satay sauce fine?"));
    fx.run(() -> fx.session.createResponse(null));
    fx.settle();
    fx.run(() -> fx.session.addUserText("item_user", "And pesto?"));
    fx.run(() -> fx.session.createResponse(null));
    fx.settle();

    assertThat(asked).containsExactly("Is satay sauce fine?", "And pesto?");
    assertThat(fx.requests).hasSize(2);
    assertThat(fx.requests.get(0).messages().get(0))
        .isEqualTo(ChatMessage.system("be brief\n\nThe user is allergic to peanuts (1)."));
    assertThat(fx.requests.get(1).messages().get(0))
        .isEqualTo(ChatMessage.system("be brief\n\nThe user is allergic to peanuts (2)."));
    assertThat(fx.events("response_done")).extracting(VoiceFixture.Event::value).containsExactly("completed", "completed");
  }

  @Test
  void anAnswerCancelledWhileItsContextIsLookedUpNeverStarts() {
    fx = new VoiceFixture();
    fx.open(false);
    Promise<String> pending = Promise.promise();
    fx.run(() -> fx.session.promptContext(text -> pending.future()));
    fx.run(() -> fx.session.addUserText("item_user", "hello"));
    fx.run(() -> fx.session.createResponse(null));
    fx.run(() -> fx.session.cancelResponse(VoiceEvent.Reason.CLIENT_CANCELLED));
    fx.run(() -> pending.complete("late context"));
    fx.settle();

    assertThat(fx.requests).isEmpty();
    assertThat(fx.events("response_done")).extracting(VoiceFixture.Event::value)
        .containsExactly("cancelled:client_cancelled");
  }

  @Test
  void aFailedLookupStartsTheAnswerWithTheInstructionsAlone() {
    fx = new VoiceFixture();
    fx.answer = List.of("Hi.");
    fx.open(false);
    fx.run(() -> fx.session.promptContext(text -> io.vertx.core.Future.failedFuture("database down")));
    fx.run(() -> fx.session.addUserText("item_user", "hello"));
    fx.run(() -> fx.session.createResponse(null));
    fx.settle();

    assertThat(fx.requests).hasSize(1);
    assertThat(fx.requests.get(0).messages().get(0)).isEqualTo(ChatMessage.system("be brief"));
  }
}
