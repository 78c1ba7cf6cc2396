package io.parley.inference.voice;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.core.voice.ConversationLog;
import io.parley.inference.llm.ChatMessage;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A client's deletes and truncates reach what the model sees and the stored conversation, by the
 * items' ids: a deleted message is in neither; an answer that played out and is then truncated is
 * kept, in both, as far as the client says it was heard.
 */
class VoiceSessionItemsTest {

  private final VoiceFixture fx = new VoiceFixture();

  @AfterEach
  void stop() {
    fx.close();
  }

  private List<String> lastPrompt() {
    return fx.requests.getLast().messages().stream().map(m -> m.role() + ": " + m.content()).toList();
  }

  @Test
  void aDeletedMessageLeavesThePromptAndTheStoredConversation() {
    fx.open(false);
    fx.run(() -> {
      fx.session.addUserText("item_a", "My cat is called Tom.");
      fx.session.addUserText("item_b", "What colour is the sky?");
    });
    assertThat(fx.on(() -> fx.session.delete("item_a"))).isTrue();
    assertThat(fx.on(() -> fx.session.delete("item_unknown"))).isFalse();
    fx.run(() -> fx.session.createResponse(null));
    fx.idle(5_000);
    assertThat(lastPrompt()).contains("user: What colour is the sky?").noneMatch(m -> m.contains("Tom"));
    assertThat(fx.stored).extracting(ConversationLog.Message::content).doesNotContain("My cat is called Tom.")
        .contains("What colour is the sky?");
  }

  @Test
  void systemAndAssistantItemsJoinThePromptInTheirPlaceUnderTheInstructions() {
    fx.open(false);
    fx.run(() -> {
      fx.session.addSystemText("item_s", "Call the user Sam.");
      fx.session.addUserText("item_u", "Hi.");
      fx.session.addAssistantText("item_a", "Hello Sam.");
      fx.session.addUserText("item_u2", "What is yellow?");
    });
    assertThat(fx.on(() -> fx.session.lastItemId())).isEqualTo("item_u2");
    fx.run(() -> fx.session.createResponse(null));
    fx.idle(5_000);
    assertThat(lastPrompt()).containsExactly("system: be brief", "system: Call the user Sam.", "user: Hi.",
        "assistant: Hello Sam.", "user: What is yellow?");
    assertThat(fx.stored.subList(0, 4)).containsExactly(new ConversationLog.Message("system", "Call the user Sam.",
        false), new ConversationLog.Message("user", "Hi.", false),
        new ConversationLog.Message("assistant", "Hello Sam.", false),
        new ConversationLog.Message("user", "What is yellow?", false));
  }

  @Test
  void anAnswersOwnSettingsApplyToItAloneTheSessionsStay() {
    fx.open(false);
    fx.run(() -> fx.session.addUserText("item_u", "What is yellow?"));
    VoiceSettings session = fx.on(() -> fx.session.settings());
    VoiceSettings own = new VoiceSettings(session.serverVad(), session.createResponse(), session.interruptResponse(),
        session.bargeIn(), "be brief\n\nOne word.", session.language(), false, 7, session.temperature(),
        session.contextMessages(), session.turnDetection(), session.tools(), session.speech());
    fx.run(() -> fx.session.createResponse(null, new ResponseRequest(own, false, Optional.empty())));
    fx.idle(5_000);
    assertThat(fx.requests.getLast().maxTokens()).isEqualTo(7);
    assertThat(lastPrompt().getFirst()).isEqualTo("system: be brief\n\nOne word.");
    fx.run(() -> fx.session.createResponse(null));
    fx.idle(5_000);
    assertThat(fx.requests.getLast().maxTokens()).isEqualTo(session.maxTokens());
    assertThat(lastPrompt().getFirst()).isEqualTo("system: be brief");
    assertThat(fx.on(() -> fx.session.settings())).isEqualTo(session);
  }

  @Test
  void anOutOfBandAnswerIsNotAddedToTheConversation() {
    fx.open(false);
    fx.run(() -> fx.session.addUserText("item_u", "What is yellow?"));
    VoiceSettings session = fx.on(() -> fx.session.settings());
    fx.answer = List.of("Topic: fruit.");
    fx.run(() -> fx.session.createResponse(null, new ResponseRequest(session, true, Optional.empty())));
    fx.idle(5_000);
    assertThat(fx.events("response_done")).extracting(VoiceFixture.Event::value).containsExactly("completed");
    assertThat(lastPrompt()).contains("user: What is yellow?");
    assertThat(fx.on(() -> fx.session.lastItemId())).as("no item follows it").isEqualTo("item_u");
    fx.answer = List.of("Bananas.");
    fx.run(() -> fx.session.createResponse(null));
    fx.idle(5_000);
    assertThat(lastPrompt()).noneMatch(m -> m.contains("Topic"));
    fx.settle();
    assertThat(fx.stored).extracting(ConversationLog.Message::content).containsExactly("What is yellow?", "Bananas.");
  }

  @Test
  void anAnswerWithItsOwnInputReadsThatInsteadOfTheConversation() {
    fx.open(false);
    fx.run(() -> {
      fx.session.addUserText("item_cat", "My cat is called Tom.");
      fx.session.addUserText("item_sky", "What colour is the sky?");
    });
    VoiceSettings session = fx.on(() -> fx.session.settings());
    fx.run(() -> fx.session.createResponse(null, new ResponseRequest(session, true, Optional.of(List.of(
        new ContextItem.Message(ChatMessage.system("Classify the topic.")), new ContextItem.Reference("item_cat"),
        new ContextItem.Reference("item_unknown"))))));
    fx.idle(5_000);
    assertThat(lastPrompt()).containsExactly("system: be brief", "system: Classify the topic.",
        "user: My cat is called Tom.");
  }

  @Test
  void anAnswerTruncatedAfterItPlayedOutIsKeptAsFarAsItWasHeard() {
    fx.open();
    fx.answer = List.of("This first sentence is eighty characters long, or close enough to it, I think. ",
        "So is this second sentence here, which goes on for about as long as the first.");
    fx.run(() -> fx.session.userText("item_user", "tell me a story", null));
    fx.idle(10_000);
    assertThat(fx.events("response_done")).extracting(VoiceFixture.Event::value).containsExactly("completed");
    String answer = fx.events("response_started").getFirst().value();
    String whole = fx.stored.getLast().content();

    Optional<String> heard = fx.on(() -> fx.session.truncate(answer, 1_000));
    assertThat(heard).isPresent();
    assertThat(whole).startsWith(heard.get());
    assertThat(heard.get()).as("a second of a sentence lasting longer").isNotEmpty().isNotEqualTo(whole)
        .doesNotContain("second sentence");
    assertThat(fx.on(() -> fx.session.truncate("item_unknown", 1_000))).isEmpty();
    fx.settle();
    assertThat(fx.stored.getLast()).isEqualTo(new ConversationLog.Message("assistant", heard.get(), true));

    fx.answer = List.of("Fine.");
    fx.run(() -> fx.session.userText("item_user_2", "go on", null));
    fx.idle(5_000);
    assertThat(fx.requests.getLast().messages()).contains(ChatMessage.assistant(heard.get()))
        .noneMatch(m -> m.content().contains("second sentence"));
  }
}
