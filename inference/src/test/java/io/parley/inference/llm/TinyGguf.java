package io.parley.inference.llm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes tiny random-weight GGUF v3 files of the llama architecture that llama.cpp (b4916, as bundled
 * by java-llama.cpp 4.2.0) loads and runs: 2 layers, width 64, a "llama" (SentencePiece) vocabulary of
 * {@code <unk>}, {@code <s>}, {@code </s>}, the 256 byte tokens and a few {@code ▁}words. The words
 * are nonsense; the format, the JNI path, threading, streaming and cancellation are real.
 *
 * <p>The weights are random except for one steering trick: every token embedding carries a large
 * constant in dimension 0, which dominates the residual stream of so small a network, and the output
 * row of each token is scaled along that dimension. So {@code </s>} (and the other control tokens
 * and the bytes 0x80..0xFF) are practically never sampled and the words usually are: a completion
 * runs to its token limit and produces valid UTF-8, which makes streaming and cancellation testable.
 *
 * <p>Format: <a href="https://github.com/ggml-org/ggml/blob/master/docs/gguf.md">GGUF</a>
 * (little-endian; strings are u64 length + UTF-8; tensor dimensions in ggml order, fastest first;
 * tensor data offsets relative to the aligned data section, each padded to general.alignment).
 */
public final class TinyGguf {

  public static final int N_EMBD = 64;
  public static final int N_LAYER = 2;
  public static final int N_FF = 128;
  public static final int ALIGNMENT = 32;
  public static final List<String> WORDS =
      List.of("▁hello", "▁water", "▁sleep", "▁walk", "▁breathe", "▁well", "▁good", "▁day", "▁calm", "▁rest");

  /** The ggml tensor types written here. */
  static final int GGML_TYPE_F32 = 0;
  static final int GGML_TYPE_F16 = 1;

  // GGUF metadata value types
  static final int T_UINT32 = 4;
  static final int T_INT32 = 5;
  static final int T_FLOAT32 = 6;
  static final int T_BOOL = 7;
  static final int T_STRING = 8;
  static final int T_ARRAY = 9;

  /** What to write; the defaults give a valid model, the switches give broken ones. */
  public record Spec(int nHead, int nHeadKv, boolean rmsEpsilon, String chatTemplate, List<String> controlTokens,
                     long seed) {
    public static Spec valid() {
      return new Spec(4, 2, true, null, List.of(), 42);
    }

    public Spec withHeads(int nHead, int nHeadKv) {
      return new Spec(nHead, nHeadKv, rmsEpsilon, chatTemplate, controlTokens, seed);
    }

    public Spec withoutRmsEpsilon() {
      return new Spec(nHead, nHeadKv, false, chatTemplate, controlTokens, seed);
    }

    public Spec withChatTemplate(String template) {
      return new Spec(nHead, nHeadKv, rmsEpsilon, template, controlTokens, seed);
    }

    /** More control tokens (type 3) after the words, as a chat model's vocabulary has for its template. */
    public Spec withControlTokens(String... tokens) {
      return new Spec(nHead, nHeadKv, rmsEpsilon, chatTemplate, List.of(tokens), seed);
    }
  }

  /** The ChatML model: {@link #CHATML_TEMPLATE} and its two control tokens, as ChatML models ship them. */
  public static Spec chatml() {
    return Spec.valid().withChatTemplate(CHATML_TEMPLATE).withControlTokens(IM_START, IM_END);
  }

  public static final String IM_START = "<|im_start|>";
  public static final String IM_END = "<|im_end|>";

  /** A ChatML template in Jinja, as models ship it; llama.cpp recognises it without --jinja. */
  public static final String CHATML_TEMPLATE =
      "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
          + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

  /** The Qwen2.5 model: {@link #QWEN25_TEMPLATE} (ChatML with tools) and the ChatML control tokens. */
  public static Spec qwen25() {
    return Spec.valid().withChatTemplate(QWEN25_TEMPLATE).withControlTokens(IM_START, IM_END);
  }

  /**
   * Qwen2.5-Instruct's chat template as the model ships it: the tools as JSON in {@code <tools>} in
   * the system turn, calls in {@code <tool_call>}, results in {@code <tool_response>} in a user turn.
   */
  public static final String QWEN25_TEMPLATE = """
      {%- if tools %}
          {{- '<|im_start|>system\\n' }}
          {%- if messages[0]['role'] == 'system' %}
              {{- messages[0]['content'] }}
          {%- else %}
              {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
          {%- endif %}
          {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
          {%- for tool in tools %}
              {{- "\\n" }}
              {{- tool | tojson }}
          {%- endfor %}
          {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
      {%- else %}
          {%- if messages[0]['role'] == 'system' %}
              {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
          {%- else %}
              {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
          {%- endif %}
      {%- endif %}
      {%- for message in messages %}
          {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
              {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
          {%- elif message.role == "assistant" %}
              {{- '<|im_start|>' + message.role }}
              {%- if message.content %}
                  {{- '\\n' + message.content }}
              {%- endif %}
              {%- for tool_call in message.tool_calls %}
                  {%- if tool_call.function is defined %}
                      {%- set tool_call = tool_call.function %}
                  {%- endif %}
                  {{- '\\n<tool_call>\\n{"name": "' }}
                  {{- tool_call.name }}
                  {{- '", "arguments": ' }}
                  {{- tool_call.arguments | tojson }}
                  {{- '}\\n</tool_call>' }}
              {%- endfor %}
              {{- '<|im_end|>\\n' }}
          {%- elif message.role == "tool" %}
              {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
                  {{- '<|im_start|>user' }}
              {%- endif %}
              {{- '\\n<tool_response>\\n' }}
              {{- message.content }}
              {{- '\\n</tool_response>' }}
              {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
                  {{- '<|im_end|>\\n' }}
              {%- endif %}
          {%- endif %}
      {%- endfor %}
      {%- if add_generation_prompt %}
          {{- '<|im_start|>assistant\\n' }}
      {%- endif %}
      """;

  /**
   * The Llama 3.1 model: {@link #LLAMA31_TEMPLATE} and its header, end-of-turn and call control tokens.
   */
  public static Spec llama31() {
    return Spec.valid().withChatTemplate(LLAMA31_TEMPLATE).withControlTokens("<|start_header_id|>",
        "<|end_header_id|>", "<|eot_id|>", "<|eom_id|>", "<|python_tag|>");
  }

  /**
   * Llama-3.1-Instruct's chat template as the model ships it (the built-in tools' branches left out):
   * the functions as JSON in the first user turn, a call as the assistant's
   * {@code {"name": ..., "parameters": ...}}, its result in an {@code ipython} turn.
   */
  public static final String LLAMA31_TEMPLATE = """
      {{- bos_token }}
      {%- if custom_tools is defined %}
          {%- set tools = custom_tools %}
      {%- endif %}
      {%- if not tools_in_user_message is defined %}
          {%- set tools_in_user_message = true %}
      {%- endif %}
      {%- if not date_string is defined %}
          {%- set date_string = "26 Jul 2024" %}
      {%- endif %}
      {%- if not tools is defined %}
          {%- set tools = none %}
      {%- endif %}
      {%- if messages[0]['role'] == 'system' %}
          {%- set system_message = messages[0]['content']|trim %}
          {%- set messages = messages[1:] %}
      {%- else %}
          {%- set system_message = "" %}
      {%- endif %}
      {{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}
      {%- if tools is not none %}
          {{- "Environment: ipython\\n" }}
      {%- endif %}
      {{- "Cutting Knowledge Date: December 2023\\n" }}
      {{- "Today Date: " + date_string + "\\n\\n" }}
      {%- if tools is not none and not tools_in_user_message %}
          {{- "You have access to the following functions. To call a function, please respond with JSON for a function call." }}
          {{- 'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.' }}
          {{- "Do not use variables.\\n\\n" }}
          {%- for t in tools %}
              {{- t | tojson(indent=4) }}
              {{- "\\n\\n" }}
          {%- endfor %}
      {%- endif %}
      {{- system_message }}
      {{- "<|eot_id|>" }}
      {%- if tools_in_user_message and not tools is none %}
          {%- if messages | length != 0 %}
              {%- set first_user_message = messages[0]['content']|trim %}
              {%- set messages = messages[1:] %}
          {%- else %}
              {{- raise_exception("Cannot put tools in the first user message when there's no first user message!") }}
          {%- endif %}
          {{- '<|start_header_id|>user<|end_header_id|>\\n\\n' -}}
          {{- "Given the following functions, please respond with a JSON for a function call " }}
          {{- "with its proper arguments that best answers the given prompt.\\n\\n" }}
          {{- 'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.' }}
          {{- "Do not use variables.\\n\\n" }}
          {%- for t in tools %}
              {{- t | tojson(indent=4) }}
              {{- "\\n\\n" }}
          {%- endfor %}
          {{- first_user_message + "<|eot_id|>"}}
      {%- endif %}
      {%- for message in messages %}
          {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
              {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}
          {%- elif 'tool_calls' in message %}
              {%- if not message.tool_calls|length == 1 %}
                  {{- raise_exception("This model only supports single tool-calls at once!") }}
              {%- endif %}
              {%- set tool_call = message.tool_calls[0].function %}
              {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}
              {{- '{"name": "' + tool_call.name + '", ' }}
              {{- '"parameters": ' }}
              {{- tool_call.arguments | tojson }}
              {{- "}" }}
              {{- "<|eot_id|>" }}
          {%- elif message.role == "tool" or message.role == "ipython" %}
              {{- "<|start_header_id|>ipython<|end_header_id|>\\n\\n" }}
              {%- if message.content is mapping or message.content is iterable %}
                  {{- message.content | tojson }}
              {%- else %}
                  {{- message.content }}
              {%- endif %}
              {{- "<|eot_id|>" }}
          {%- endif %}
      {%- endfor %}
      {%- if add_generation_prompt %}
          {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
      {%- endif %}
      """;

  private TinyGguf() {}

  /** Writes a valid tiny model. */
  public static Path write(Path file) throws IOException {
    return write(file, Spec.valid());
  }

  public static Path write(Path file, Spec spec) throws IOException {
    Files.write(file, bytes(spec));
    return file;
  }

  public static List<String> vocabulary(Spec spec) {
    List<String> tokens = new ArrayList<>();
    tokens.add("<unk>");
    tokens.add("<s>");
    tokens.add("</s>");
    for (int b = 0; b < 256; b++) {
      tokens.add(String.format("<0x%02X>", b));
    }
    tokens.addAll(WORDS);
    tokens.addAll(spec.controlTokens());
    return tokens;
  }

  public static byte[] bytes(Spec spec) {
    List<String> tokens = vocabulary(spec);
    int nVocab = tokens.size();
    int headDim = N_EMBD / spec.nHead();
    int qDim = headDim * spec.nHead();
    int kvDim = headDim * spec.nHeadKv();
    Random random = new Random(spec.seed());

    Map<String, Object[]> kv = new LinkedHashMap<>();
    kv.put("general.architecture", new Object[] {T_STRING, "llama"});
    kv.put("general.name", new Object[] {T_STRING, "parley-tiny-random"});
    kv.put("general.alignment", new Object[] {T_UINT32, ALIGNMENT});
    kv.put("llama.context_length", new Object[] {T_UINT32, 2048});
    kv.put("llama.embedding_length", new Object[] {T_UINT32, N_EMBD});
    kv.put("llama.block_count", new Object[] {T_UINT32, N_LAYER});
    kv.put("llama.feed_forward_length", new Object[] {T_UINT32, N_FF});
    kv.put("llama.attention.head_count", new Object[] {T_UINT32, spec.nHead()});
    kv.put("llama.attention.head_count_kv", new Object[] {T_UINT32, spec.nHeadKv()});
    kv.put("llama.rope.dimension_count", new Object[] {T_UINT32, headDim});
    kv.put("llama.rope.freq_base", new Object[] {T_FLOAT32, 10000f});
    if (spec.rmsEpsilon()) {
      kv.put("llama.attention.layer_norm_rms_epsilon", new Object[] {T_FLOAT32, 1e-5f});
    }
    kv.put("llama.vocab_size", new Object[] {T_UINT32, nVocab});
    kv.put("tokenizer.ggml.model", new Object[] {T_STRING, "llama"});
    kv.put("tokenizer.ggml.tokens", new Object[] {T_ARRAY, T_STRING, tokens});
    List<Float> scores = new ArrayList<>();
    List<Integer> types = new ArrayList<>();
    for (int i = 0; i < nVocab; i++) {
      String t = tokens.get(i);
      // token types: 1 normal, 2 unknown, 3 control, 6 byte
      int type = i == 0 ? 2 : i < 3 || spec.controlTokens().contains(t) ? 3 : t.startsWith("<0x") ? 6 : 1;
      types.add(type);
      scores.add(type == 1 ? -1f - i * 0.01f : 0f);
    }
    kv.put("tokenizer.ggml.scores", new Object[] {T_ARRAY, T_FLOAT32, scores});
    kv.put("tokenizer.ggml.token_type", new Object[] {T_ARRAY, T_INT32, types});
    kv.put("tokenizer.ggml.unknown_token_id", new Object[] {T_UINT32, 0});
    kv.put("tokenizer.ggml.bos_token_id", new Object[] {T_UINT32, 1});
    kv.put("tokenizer.ggml.eos_token_id", new Object[] {T_UINT32, 2});
    kv.put("tokenizer.ggml.add_bos_token", new Object[] {T_BOOL, true});
    kv.put("tokenizer.ggml.add_eos_token", new Object[] {T_BOOL, false});
    if (spec.chatTemplate() != null) {
      kv.put("tokenizer.chat_template", new Object[] {T_STRING, spec.chatTemplate()});
    }

    // The tensors, in ggml dimension order (ne0 = input width of a matrix).
    List<Tensor> tensors = new ArrayList<>();
    float[] embd = random(random, N_EMBD * nVocab, 0.02f);
    for (int v = 0; v < nVocab; v++) {
      embd[v * N_EMBD] = 10f; // the steering dimension, see the class comment
    }
    tensors.add(new Tensor("token_embd.weight", new long[] {N_EMBD, nVocab}, embd));
    for (int l = 0; l < N_LAYER; l++) {
      String p = "blk." + l + ".";
      tensors.add(new Tensor(p + "attn_norm.weight", new long[] {N_EMBD}, ones(N_EMBD)));
      tensors.add(new Tensor(p + "attn_q.weight", new long[] {N_EMBD, qDim}, random(random, N_EMBD * qDim, 0.02f)));
      tensors.add(new Tensor(p + "attn_k.weight", new long[] {N_EMBD, kvDim}, random(random, N_EMBD * kvDim, 0.02f)));
      tensors.add(new Tensor(p + "attn_v.weight", new long[] {N_EMBD, kvDim}, random(random, N_EMBD * kvDim, 0.02f)));
      tensors.add(new Tensor(p + "attn_output.weight", new long[] {qDim, N_EMBD}, random(random, qDim * N_EMBD, 0.02f)));
      tensors.add(new Tensor(p + "ffn_norm.weight", new long[] {N_EMBD}, ones(N_EMBD)));
      tensors.add(new Tensor(p + "ffn_gate.weight", new long[] {N_EMBD, N_FF}, random(random, N_EMBD * N_FF, 0.02f)));
      tensors.add(new Tensor(p + "ffn_up.weight", new long[] {N_EMBD, N_FF}, random(random, N_EMBD * N_FF, 0.02f)));
      tensors.add(new Tensor(p + "ffn_down.weight", new long[] {N_FF, N_EMBD}, random(random, N_FF * N_EMBD, 0.02f)));
    }
    tensors.add(new Tensor("output_norm.weight", new long[] {N_EMBD}, ones(N_EMBD)));
    float[] output = random(random, N_EMBD * nVocab, 0.5f);
    for (int v = 0; v < nVocab; v++) {
      String t = tokens.get(v);
      float steer;
      if (v < 3 || spec.controlTokens().contains(t)) {
        steer = -5f; // never <unk>, <s>, </s> or another control token
      } else if (t.startsWith("<0x")) {
        int b = Integer.parseInt(t.substring(3, 5), 16);
        steer = b >= 0x80 || b < 0x20 ? -5f : 0f; // bytes: printable ASCII only
      } else {
        steer = 0.6f; // words are the likely tokens
      }
      output[v * N_EMBD] = steer;
    }
    tensors.add(new Tensor("output.weight", new long[] {N_EMBD, nVocab}, output));

    Le out = new Le();
    out.u32(0x46554747); // "GGUF"
    out.u32(3);
    out.u64(tensors.size());
    out.u64(kv.size());
    kv.forEach((key, value) -> {
      out.string(key);
      int type = (Integer) value[0];
      out.u32(type);
      if (type == T_ARRAY) {
        int elementType = (Integer) value[1];
        List<?> list = (List<?>) value[2];
        out.u32(elementType);
        out.u64(list.size());
        for (Object o : list) {
          out.value(elementType, o);
        }
      } else {
        out.value(type, value[1]);
      }
    });
    long offset = 0;
    for (Tensor t : tensors) {
      out.string(t.name());
      out.u32(t.dims().length);
      for (long d : t.dims()) {
        out.u64(d);
      }
      out.u32(GGML_TYPE_F32);
      out.u64(offset);
      offset = align(offset + t.data().length * 4L);
    }
    out.pad();
    for (Tensor t : tensors) {
      for (float f : t.data()) {
        out.f32(f);
      }
      out.pad();
    }
    return out.bytes();
  }

  static long align(long n) {
    return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
  }

  private static float[] random(Random random, int n, float std) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) random.nextGaussian() * std;
    }
    return a;
  }

  private static float[] ones(int n) {
    float[] a = new float[n];
    java.util.Arrays.fill(a, 1f);
    return a;
  }

  private record Tensor(String name, long[] dims, float[] data) {}

  /** A little-endian writer. */
  private static final class Le {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

    void u32(long v) {
      scratch.clear();
      scratch.putInt((int) v);
      out.write(scratch.array(), 0, 4);
    }

    void u64(long v) {
      scratch.clear();
      scratch.putLong(v);
      out.write(scratch.array(), 0, 8);
    }

    void f32(float v) {
      scratch.clear();
      scratch.putFloat(v);
      out.write(scratch.array(), 0, 4);
    }

    void string(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      u64(b.length);
      out.write(b, 0, b.length);
    }

    void value(int type, Object v) {
      switch (type) {
        case T_UINT32, T_INT32 -> u32((Integer) v);
        case T_FLOAT32 -> f32((Float) v);
        case T_BOOL -> out.write((Boolean) v ? 1 : 0);
        case T_STRING -> string((String) v);
        default -> throw new IllegalArgumentException("type " + type);
      }
    }

    void pad() {
      while (out.size() % ALIGNMENT != 0) {
        out.write(0);
      }
    }

    byte[] bytes() {
      return out.toByteArray();
    }
  }
}
