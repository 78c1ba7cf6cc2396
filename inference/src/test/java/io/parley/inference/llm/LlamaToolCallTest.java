package io.parley.inference.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.ParleyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tool calls on the real llama.cpp with the tiny random-weight GGUF: a grammar holds the model to a
 * call of one of the tools with arguments that keep to its JSON Schema, so even random weights write
 * a call that parses; the model's own template (Qwen2.5, Llama 3.1) renders tools, calls and results.
 */
class LlamaToolCallTest {

  @TempDir
  static Path dir;

  static ExecutorService workers;
  static LlamaChatModel plain;
  static LlamaChatModel qwen;
  static LlamaChatModel llama31;

  /** Arguments a random model can finish: an enum and a boolean (free strings would run to the limit). */
  static final Tool WEATHER = new Tool("get_weather", "The weather now", new JsonObject().put("type", "object")
      .put("properties", new JsonObject()
          .put("unit", new JsonObject().put("type", "string").put("enum", new JsonArray().add("celsius").add("fahrenheit")))
          .put("windy", new JsonObject().put("type", "boolean")))
      .put("required", new JsonArray().add("unit").add("windy"))
      .put("additionalProperties", false));
  static final Tool PROFILE = new Tool("get_profile", "The user's profile", new JsonObject().put("type", "object")
      .put("properties", new JsonObject()).put("additionalProperties", false));

  @BeforeAll
  static void load() throws Exception {
    workers = Executors.newFixedThreadPool(2, Thread.ofPlatform().name("llm-worker-", 0).daemon(true).factory());
    plain = LlamaChatModel.open(LlamaChatModelTest.settings(TinyGguf.write(dir.resolve("tiny.gguf"))), workers);
    qwen = LlamaChatModel.open(LlamaChatModelTest.settings(TinyGguf.write(dir.resolve("qwen.gguf"),
        TinyGguf.qwen25())), workers);
    llama31 = LlamaChatModel.open(LlamaChatModelTest.settings(TinyGguf.write(dir.resolve("llama31.gguf"),
        TinyGguf.llama31())), workers);
  }

  @AfterAll
  static void close() {
    plain.close();
    qwen.close();
    llama31.close();
    workers.shutdown();
  }

  static ChatRequest ask(ToolChoice choice, Tool... tools) {
    return new ChatRequest(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Is it windy?")), 200, 0.8)
        .withTools(List.of(tools), choice);
  }

  /** A question, the model's call of get_weather and its result, with the tool offered. */
  static ChatRequest windyCallAndResult() {
    return new ChatRequest(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Is it windy?"),
        ChatMessage.assistant("", List.of(new ToolCall("call_1", "get_weather", "{\"unit\":\"celsius\",\"windy\":true}"))),
        ChatMessage.tool("call_1", "{\"wind_kmh\":40}")), 64, 0.7).withTools(List.of(WEATHER), ToolChoice.AUTO);
  }

  static void assertOneValidCall(RecordingSink sink, String... names) {
    assertThat(sink.error).as("%s", sink.terminal).isNull();
    assertThat(sink.terminal).containsExactly("done:tool_calls");
    assertThat(sink.toolCalls).hasSize(1);
    ToolCall call = sink.toolCalls.get(0);
    assertThat(call.name()).isIn((Object[]) names);
    assertThat(call.id()).startsWith("call_");
    JsonObject arguments = new JsonObject(call.arguments());
    if (call.name().equals("get_weather")) {
      assertThat(arguments.fieldNames()).containsExactlyInAnyOrder("unit", "windy");
      assertThat(arguments.getString("unit")).isIn("celsius", "fahrenheit");
      assertThat(arguments.getValue("windy")).isInstanceOf(Boolean.class);
    } else {
      assertThat(arguments.isEmpty()).isTrue();
    }
    assertThat(sink.toolEvents).containsExactly("start:0:" + call.id() + ":" + call.name(),
        "args:0:" + call.arguments(), "done:0");
  }

  @Test
  void aRequiredCallKeepsToTheSchemaEvenFromRandomWeights() throws Exception {
    for (int i = 0; i < 3; i++) {
      RecordingSink sink = new RecordingSink();
      plain.stream(ask(ToolChoice.REQUIRED, WEATHER, PROFILE), sink);
      assertOneValidCall(sink.await(), "get_weather", "get_profile");
      assertThat(sink.pieces).isEmpty();
    }
  }

  @Test
  void aNamedFunctionIsTheOneCalled() throws Exception {
    RecordingSink sink = new RecordingSink();
    qwen.stream(ask(ToolChoice.function("get_weather"), WEATHER, PROFILE), sink);
    assertOneValidCall(sink.await(), "get_weather");
  }

  @Test
  void theQwenTemplateRendersToolsCallsAndResults() {
    ChatRequest request = windyCallAndResult();
    String prompt = qwen.prompt(request);

    assertThat(prompt).startsWith("<|im_start|>system\nBe brief.\n\n# Tools\n\n")
        .contains("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"")
        .contains("<|im_start|>user\nIs it windy?<|im_end|>\n")
        .contains("<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"unit\": \"celsius\", "
            + "\"windy\": true}}\n</tool_call><|im_end|>\n")
        .contains("<|im_start|>user\n<tool_response>\n{\"wind_kmh\":40}\n</tool_response><|im_end|>\n")
        .endsWith("<|im_start|>assistant\n");
  }

  @Test
  void theLlama31TemplateRendersToolsCallsAndResults() {
    ChatRequest request = windyCallAndResult();
    String prompt = llama31.prompt(request);

    // llama.cpp renders Llama 3.1 templates with the functions in the system turn (tools_in_user_message false).
    assertThat(prompt).startsWith("<|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\n")
        .contains("You have access to the following functions.")
        .contains("\"name\": \"get_weather\",\n        \"description\": \"The weather now\"")
        .contains("Be brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nIs it windy?<|eot_id|>")
        .contains("<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"get_weather\", \"parameters\": "
            + "{\"unit\": \"celsius\", \"windy\": true}}<|eot_id|>")
        // the template writes a string result as JSON (a string is iterable to Jinja)
        .contains("<|start_header_id|>ipython<|end_header_id|>\n\n\"{\\\"wind_kmh\\\":40}\"<|eot_id|>")
        .endsWith("<|start_header_id|>assistant<|end_header_id|>\n\n");
    assertThat(prompt.indexOf("get_weather")).as("the functions come before the question")
        .isLessThan(prompt.indexOf("Is it windy?"));
    assertThat(llama31.prompt(new ChatRequest(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi")), 8, 0)))
        .as("without tools").doesNotContain("Environment: ipython").doesNotContain("functions")
        .endsWith("<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
  }

  @Test
  void aLlama31CallKeepsToTheSchemaAndParses() throws Exception {
    assertThat(LlamaTools.templateFormat(Optional.of(TinyGguf.LLAMA31_TEMPLATE))).contains(LlamaTools.Format.LLAMA3);
    for (ToolChoice choice : List.of(ToolChoice.REQUIRED, ToolChoice.function("get_weather"))) {
      RecordingSink sink = new RecordingSink();
      llama31.stream(ask(choice, WEATHER, PROFILE), sink);
      assertOneValidCall(sink.await(), choice.function().isPresent()
          ? new String[] {"get_weather"} : new String[] {"get_weather", "get_profile"});
      assertThat(sink.pieces).as("a call, not text").isEmpty();
    }
  }

  @Test
  void withoutToolsTheQwenTemplateIsPlainChatMl() {
    String prompt = qwen.prompt(new ChatRequest(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi")), 8, 0));
    assertThat(prompt).isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
        + "<|im_start|>assistant\n");
  }

  @Test
  void aTemplateWithoutToolsGetsTheToolsInTheSystemText() {
    ChatRequest request = windyCallAndResult();
    String prompt = plain.prompt(request);

    assertThat(prompt).startsWith("Be brief.\n\n# Tools\n\n").contains("<tools>\n" + WEATHER.toJson().encode())
        .contains("User: Is it windy?\nAssistant: <tool_call> {\"name\": \"get_weather\", \"arguments\": "
            + "{\"unit\":\"celsius\",\"windy\":true}} </tool_call>\n")
        .contains("User: <tool_response> {\"wind_kmh\":40} </tool_response>\n")
        .endsWith("Assistant:");
  }

  @Test
  void toolChoiceNoneOffersNoToolsAndAnswersInText() throws Exception {
    ChatRequest request = ask(ToolChoice.NONE, WEATHER).withTools(List.of(WEATHER), ToolChoice.NONE);
    assertThat(plain.prompt(request)).doesNotContain("<tools>");
    RecordingSink sink = new RecordingSink();
    plain.stream(new ChatRequest(request.messages(), 8, 0.8, request.tools(), ToolChoice.NONE), sink);
    sink.await();
    assertThat(sink.terminal).containsExactly("done:length");
    assertThat(sink.toolCalls).isEmpty();
  }

  @Test
  void autoWithAModelThatAnswersInTextStreamsTheText() throws Exception {
    RecordingSink sink = new RecordingSink();
    plain.stream(new ChatRequest(ask(ToolChoice.AUTO, WEATHER).messages(), 16, 0.8, List.of(WEATHER),
        ToolChoice.AUTO), sink);
    sink.await();
    assertThat(sink.terminal).containsExactly("done:length");
    assertThat(sink.text()).isNotEmpty();
    assertThat(sink.toolCalls).isEmpty();
  }

  @Test
  void theFormatComesFromTheTemplate() {
    assertThat(LlamaTools.templateFormat(Optional.of(TinyGguf.QWEN25_TEMPLATE))).contains(LlamaTools.Format.HERMES);
    assertThat(LlamaTools.templateFormat(Optional.of(TinyGguf.CHATML_TEMPLATE))).isEmpty();
    assertThat(LlamaTools.templateFormat(Optional.of("{{- '<|start_header_id|>' + message.role + '<|end_header_id|>' }}"
        + "{%- if message.role == 'tool' %}{{- '<|start_header_id|>ipython<|end_header_id|>' }}{%- endif %}")))
        .contains(LlamaTools.Format.LLAMA3);
    assertThat(LlamaTools.templateFormat(Optional.empty())).isEmpty();
  }

  @Test
  void callsAreParsedOrRefusedWithTheReason() {
    List<Tool> tools = List.of(WEATHER);
    assertThat(LlamaTools.parseCall(LlamaTools.Format.HERMES, "\n{\"name\": \"get_weather\", \"arguments\": "
        + "{\"unit\": \"celsius\"}}\n", tools).arguments()).isEqualTo("{\"unit\":\"celsius\"}");
    assertThat(LlamaTools.parseCall(LlamaTools.Format.LLAMA3, "{\"name\": \"get_weather\", \"parameters\": {}}", tools)
        .name()).isEqualTo("get_weather");
    assertThat(LlamaTools.parseCall(LlamaTools.Format.HERMES, "{\"name\": \"get_weather\", \"arguments\": "
        + "\"{\\\"unit\\\": \\\"celsius\\\"}\"}", tools).arguments()).isEqualTo("{\"unit\":\"celsius\"}");
    assertThatThrownBy(() -> LlamaTools.parseCall(LlamaTools.Format.HERMES, "{\"name\": \"get_weath", tools))
        .isInstanceOf(ParleyException.class).hasMessageContaining("not a JSON object");
    assertThatThrownBy(() -> LlamaTools.parseCall(LlamaTools.Format.HERMES, "{\"name\": \"rm_rf\", \"arguments\": {}}",
        tools)).hasMessageContaining("not one of the tools");
    assertThatThrownBy(() -> LlamaTools.parseCall(LlamaTools.Format.HERMES, "{\"name\": \"get_weather\"}", tools))
        .hasMessageContaining("no arguments object");
    assertThat(LlamaTools.hermesCallBodies("\n{\"a\":1}\n</tool_call>\n<tool_call>\n{\"b\":2}\n</tool_call>"))
        .containsExactly("\n{\"a\":1}\n", "\n{\"b\":2}\n");
  }

  @Test
  void aHermesCallStartsAtItsTagEvenSplitAcrossPieces() {
    List<String> out = new java.util.ArrayList<>();
    LlamaTools.CallStart start = new LlamaTools.CallStart(LlamaTools.Format.HERMES, out::add);
    assertThat(start.accept("Let me check. <")).isTrue();
    assertThat(start.accept("tool")).isTrue();
    assertThat(out).containsExactly("Let me check. "); // "<tool" could still be the tag
    assertThat(start.accept("_call>\n{")).isFalse();
    assertThat(start.triggered()).isTrue();
    assertThat(start.written()).isEqualTo("Let me check. <tool_call>");

    List<String> text = new java.util.ArrayList<>();
    LlamaTools.CallStart none = new LlamaTools.CallStart(LlamaTools.Format.HERMES, text::add);
    none.accept("a <to");
    none.accept("p> b");
    none.flush();
    assertThat(String.join("", text)).isEqualTo("a <top> b");
    assertThat(none.triggered()).isFalse();
  }

  @Test
  void aLlamaAnswerIsACallWhenItStartsWithABrace() {
    List<String> out = new java.util.ArrayList<>();
    LlamaTools.CallStart call = new LlamaTools.CallStart(LlamaTools.Format.LLAMA3, out::add);
    assertThat(call.accept("\n ")).isTrue();
    assertThat(call.accept("{\"name")).isFalse();
    assertThat(call.triggered()).isTrue();
    assertThat(out).isEmpty();

    LlamaTools.CallStart text = new LlamaTools.CallStart(LlamaTools.Format.LLAMA3, out::add);
    text.accept(" It");
    text.accept(" is {windy}");
    assertThat(String.join("", out)).isEqualTo(" It is {windy}");
    assertThat(text.triggered()).isFalse();
  }

  @Test
  void renamingARuleLeavesLiteralsAndClassesAlone() {
    String grammar = "root ::= \"{\" space root-x \"root\" [r-o] root\nroot-x ::= \"\\\"root\\\"\" # root\n";
    assertThat(LlamaTools.renameRule(grammar, "root", "call")).isEqualTo(
        "call ::= \"{\" space root-x \"root\" [r-o] call\nroot-x ::= \"\\\"root\\\"\" # root\n");
  }
}
