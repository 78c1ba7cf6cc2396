package io.parley.inference.voice;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * What a session does when a part under it fails: a conversation write that fails is logged and
 * reported to the client (the api counts it), and a failing VAD model is reported once, not per
 * frame, and again only after it has worked in between.
 */
class VoiceSessionFailureTest {

  private VoiceFixture fx;
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

  @BeforeEach
  void start() {
    fx = new VoiceFixture();
    logged.start();
    ((Logger) LoggerFactory.getLogger(InputStage.class)).addAppender(logged);
    ((Logger) LoggerFactory.getLogger(ConversationMemory.class)).addAppender(logged);
    ((Logger) LoggerFactory.getLogger(VadScheduler.class)).addAppender(logged);
  }

  @AfterEach
  void stop() {
    ((Logger) LoggerFactory.getLogger(InputStage.class)).detachAppender(logged);
    ((Logger) LoggerFactory.getLogger(ConversationMemory.class)).detachAppender(logged);
    ((Logger) LoggerFactory.getLogger(VadScheduler.class)).detachAppender(logged);
    fx.close();
  }

  private List<String> warnings() {
    synchronized (logged.list) {
      return logged.list.stream().filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
          .map(ILoggingEvent::getFormattedMessage).toList();
    }
  }

  @Test
  void aConversationWriteThatFailsIsLoggedAndReported() {
    fx.failWrites = true;
    fx.open(false);
    fx.run(() -> fx.session.userText("item_user", "what is in a banana?", null));
    VoiceFixture.await("the failed write reported", () -> !fx.events("error").isEmpty());
    assertThat(fx.events("error")).extracting(VoiceFixture.Event::value).containsExactly(VoiceEvent.Code.NOT_STORED.name());
    assertThat(warnings()).anySatisfy(w -> assertThat(w).contains("user message", "not stored", "the database is down"));
  }

  @Test
  void anAnswerWhoseWriteFailsIsReportedToo() {
    fx.open(true);
    fx.failWrites = true;
    fx.run(() -> fx.session.userText("item_user", "what is in a banana?", null));
    fx.idle(5_000); // the answer plays out
    VoiceFixture.await("the answer done and both writes reported",
        () -> fx.events("error").size() == 2 && !fx.events("response_done").isEmpty());
    assertThat(fx.events("error")).extracting(VoiceFixture.Event::value)
        .containsOnly(VoiceEvent.Code.NOT_STORED.name());
    assertThat(warnings()).anySatisfy(w -> assertThat(w).contains("assistant message", "not stored"));
  }

  @Test
  void aFailingVadModelIsReportedOnceNotPerFrame() {
    fx.open();
    fx.frames(-1f, 640); // 20 frames, each a failed model run
    assertThat(fx.vad.failures()).isGreaterThanOrEqualTo(1);
    assertThat(fx.events("error")).extracting(VoiceFixture.Event::value).containsExactly(VoiceEvent.Code.VAD_FAILED.name());
    assertThat(warnings()).filteredOn(w -> w.contains("VAD model failed")).hasSize(2); // scheduler + session
    // It works again, then fails again: a new report.
    fx.silence(320);
    fx.frames(-1f, 320);
    assertThat(fx.events("error")).extracting(VoiceFixture.Event::value)
        .containsExactly(VoiceEvent.Code.VAD_FAILED.name(), VoiceEvent.Code.VAD_FAILED.name());
  }
}
