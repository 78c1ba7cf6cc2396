package io.parley.api.engines;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.api.engines.EngineWire.Frame;
import io.parley.api.engines.EngineWire.Type;
import io.parley.core.ParleyException;
import io.parley.inference.llm.ChatMessage;
import io.parley.inference.llm.ChatRequest;
import io.parley.inference.llm.Tool;
import io.parley.inference.llm.ToolCall;
import io.parley.inference.llm.ToolChoice;
import io.parley.inference.stt.Transcript;
import io.parley.inference.tts.TtsVoice;
import io.parley.inference.vision.Detection;
import io.parley.inference.vision.Detections;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The frames between a node and its engine workers carry every field of what they stand for. */
class EngineWireTest {

  private static Frame roundTrip(Frame f) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      EngineWire.write(out, f);
    }
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()));
    Frame back = EngineWire.read(in).orElseThrow();
    assertThat(EngineWire.read(in)).as("one frame, then the end").isEmpty();
    return back;
  }

  @Test
  void aFrameKeepsItsTypeCallHeaderAndPayload() throws IOException {
    float[] samples = {0f, 0.5f, -1f, 1e-7f, Float.MIN_VALUE};
    Frame back = roundTrip(new Frame(Type.TRANSCRIBE, 42L << 33, new JsonObject().put("language", "es")
        .put("prompt", "Grüße, 你好"), EngineWire.floats(samples)));
    assertThat(back.type()).isEqualTo(Type.TRANSCRIBE);
    assertThat(back.call()).isEqualTo(42L << 33);
    assertThat(back.header().getString("prompt")).isEqualTo("Grüße, 你好");
    assertThat(EngineWire.floats(back.payload())).containsExactly(samples);
    short[] pcm = {0, 1, -1, Short.MAX_VALUE, Short.MIN_VALUE};
    assertThat(EngineWire.shorts(EngineWire.shorts(pcm))).containsExactly(pcm);
  }

  @Test
  void aChatRequestWithToolsAndCallsSurvives() {
    ChatRequest r = new ChatRequest(List.of(ChatMessage.system("be brief"), ChatMessage.user("weather?"),
        ChatMessage.assistant("", List.of(new ToolCall("call_1", "weather", "{\"city\":\"Lyon\"}"))),
        ChatMessage.tool("call_1", "{\"temp\":21}")), 64, 0.3,
        List.of(new Tool("weather", "the weather in a city", new JsonObject().put("type", "object"))),
        ToolChoice.function("weather"));
    assertThat(EngineWire.chatRequest(EngineWire.chatRequest(r))).isEqualTo(r);
    ChatRequest plain = new ChatRequest(List.of(ChatMessage.user("hi")), 8, 0.0);
    assertThat(EngineWire.chatRequest(EngineWire.chatRequest(plain))).isEqualTo(plain);
  }

  @Test
  void transcriptsDetectionsAndVoicesSurvive() {
    Transcript t = new Transcript("hola", "es", Duration.ofMillis(123),
        List.of(new Transcript.Segment(0.0, 1.25, "hola")));
    assertThat(EngineWire.transcript(EngineWire.transcript(t))).isEqualTo(t);
    Detections d = new Detections(List.of(new Detection("dog", 0.9f, 1f, 2f, 30.5f, 40f)), 640, 480, "nanodet", "m",
        new Detections.Timings(1, 2, 3, 4, 2));
    assertThat(EngineWire.detections(EngineWire.detections(d))).isEqualTo(d);
    List<TtsVoice> voices = List.of(new TtsVoice("kal16", List.of("en-US"), "FreeTTS"),
        new TtsVoice("es", List.of("es", "es-mx"), "eSpeak NG"));
    assertThat(EngineWire.voices(EngineWire.voices(voices))).isEqualTo(voices);
  }

  @Test
  void aFailureKeepsItsReasonAndCode() {
    ParleyException e = EngineWire.failure(EngineWire.failure(
        new ParleyException(ParleyException.Reason.LIMITED, "too_long", "text over 4096 characters")));
    assertThat(e.reason()).isEqualTo(ParleyException.Reason.LIMITED);
    assertThat(e.code()).contains("too_long");
    assertThat(e.getMessage()).isEqualTo("text over 4096 characters");
    ParleyException bug = EngineWire.failure(EngineWire.failure(new IllegalStateException("boom")));
    assertThat(bug.reason()).isEqualTo(ParleyException.Reason.INTERNAL);
    assertThat(bug.getMessage()).contains("boom");
    assertThat(bug.code()).isEqualTo(Optional.empty());
  }

  @Test
  void aCorruptFrameIsRefusedNotAllocated() {
    byte[] huge = {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0};
    assertThatThrownBy(() -> EngineWire.read(new DataInputStream(new ByteArrayInputStream(huge))))
        .isInstanceOf(IOException.class).hasMessageContaining("bytes");
    byte[] unknownType = {0, 0, 0, 13, 99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assertThatThrownBy(() -> EngineWire.read(new DataInputStream(new ByteArrayInputStream(unknownType))))
        .isInstanceOf(IOException.class).hasMessageContaining("unknown type");
  }
}
