package io.parley.inference.llm;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.Pair;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A GGUF model run in-process by llama.cpp (java-llama.cpp 4.2.0, llama.cpp b4916).
 *
 * <p><b>Loading</b> ({@link #open}) blocks: call it from a worker, never an event loop. The file is
 * checked in Java first ({@link GgufFile}), because llama.cpp aborts the JVM on some malformed
 * files; a bad file is a {@link ParleyException} with reason CONFIG naming {@code PARLEY_LLAMA_MODEL},
 * a library or load failure one with reason UNAVAILABLE.
 *
 * <p><b>Completions</b> each run on a thread of the executor passed in (platform threads, as many as
 * {@code PARLEY_LLM_WORKERS}; llama.cpp gets as many parallel slots). The sink is called on that
 * thread only. Pieces are what llama.cpp streams: usually one token's text, but a token that ends
 * inside a UTF-8 character is held back until the character is complete.
 *
 * <p><b>Cancellation</b> is only ever performed by the consuming worker thread, between tokens:
 * {@link Completion#cancel()} sets a flag that the worker checks after each token, then cancels the
 * llama.cpp task itself. (Cancelling or closing from another thread while the worker waits in
 * {@code receiveCompletion} leaves the worker stuck in native code for good.) So a cancelled
 * completion stops within one token and ends with {@code done("cancelled")}.
 *
 * <p><b>Finish reason</b>: java-llama.cpp does not expose llama.cpp's stop type, so it is derived:
 * {@code length} when as many tokens as {@code maxTokens} were streamed, else {@code stop} (end of
 * sequence or a stop string). A held-back partial character can make a length-limited answer read
 * as {@code stop}.
 *
 * <p><b>Chat template</b>: the model's own ({@code tokenizer.chat_template}, applied by llama.cpp,
 * which falls back to ChatML for templates it cannot run) when it ships one; otherwise the plain
 * {@link #SIMPLE_TEMPLATE_DOC transcript template}. Either way the only special tokens in the prompt
 * are the template's: text in a message that spells one of the model's special tokens is broken up
 * first ({@link SpecialTokens}), so a user cannot end their turn or open a system turn by typing it.
 *
 * <p><b>Tool calls</b> ({@link LlamaTools}): a template that knows tools (Qwen2.5/Hermes
 * {@code <tool_call>}, Llama 3.x {@code ipython}) renders the tools, calls and results itself, in
 * llama.cpp's Jinja engine (enabled for such models only); for any other model Parley writes the
 * tools into the system text in the Hermes convention. With {@code tool_choice} auto the answer
 * streams as text until the model starts a call; that task is stopped and a second one continues
 * from the call's start under a GBNF grammar built from the tools' JSON Schemas (llama.cpp's own
 * converter), so the call is one of the tools with arguments that keep to its schema. With
 * {@code required} or a named function the grammar applies from the first token. One call per
 * completion, reported whole (start, all arguments, done) once generated; the completion then ends
 * with {@code tool_calls}. java-llama.cpp 4.2.0 passes only {@code grammar} through its public API
 * (llama.cpp's lazy grammars and trigger words are in the native code but not reachable), hence the
 * two tasks.
 *
 * <p><b>Closing</b> cancels running completions and releases the model when the last one has
 * stopped. Two limits of java-llama.cpp 4.2.0 remain: its {@code close()} stops the model's server
 * loop but does not free the weights (the native {@code delete} is commented out), and every loaded
 * model leaves a non-daemon native thread attached to the JVM, so a process that loaded one only
 * exits through {@code System.exit} (the server's shutdown path must call it).
 */
public final class LlamaChatModel implements ChatModel {

  /** The setting that names the model file, for error messages. */
  public static final String CONFIG_KEY = "PARLEY_LLAMA_MODEL";

  /**
   * The template used when a model ships none: the system prompt, a blank line, then one line per
   * message, {@code "User: ..."} or {@code "Assistant: ..."}, ending with {@code "Assistant:"}.
   * Generation stops at {@code "\nUser:"}. Plain text works for base models and keeps special tokens
   * out of the prompt.
   */
  public static final String SIMPLE_TEMPLATE_DOC = "System\\n\\nUser: ...\\nAssistant: ...\\nUser: ...\\nAssistant:";

  private static final Logger LOG = LoggerFactory.getLogger(LlamaChatModel.class);
  private static final String[] SIMPLE_STOPS = {"\nUser:", "\nAssistant:"};
  private static final int CANCELLED = -1;

  /**
   * Settings of an in-process model.
   *
   * @param modelFile the GGUF file
   * @param name the model name reported to clients
   * @param workers concurrent completions (llama.cpp slots)
   * @param threads CPU threads per decode
   * @param contextTokens context window of each completion (prompt + answer)
   * @param nativeLog whether llama.cpp writes its own log (raw lines on stdout/stderr, several per
   *     completion, bypassing SLF4J); off, only failures reach Parley, as exceptions
   */
  public record Settings(Path modelFile, String name, int workers, int threads, int contextTokens,
                         boolean nativeLog) {
    public Settings {
      Objects.requireNonNull(modelFile, "modelFile");
      Objects.requireNonNull(name, "name");
      if (workers < 1 || threads < 1 || contextTokens < 64) {
        throw new ParleyException(Reason.CONFIG,
            "PARLEY_LLM_WORKERS and threads must be >= 1 and the context >= 64 tokens");
      }
    }

    /** From the chat model options: PARLEY_LLAMA_MODEL, PARLEY_LLM_MODEL, PARLEY_LLM_WORKERS. */
    public static Settings of(LlmOptions options) {
      Path model = options.llamaModel().orElseThrow(() -> new ParleyException(Reason.CONFIG,
          CONFIG_KEY + ": not set; set it to a GGUF model file (or use PARLEY_LLM_BASE_URL)"));
      int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / options.workers());
      return new Settings(model, options.model(), options.workers(), threads, 4096, false);
    }

    public Settings(Path modelFile, String name, int workers, int threads, int contextTokens) {
      this(modelFile, name, workers, threads, contextTokens, false);
    }
  }

  private final Settings settings;
  private final Executor executor;
  private final LlamaModel model;
  private final boolean modelTemplate;
  /** The tool convention the model's template knows, which llama.cpp's Jinja engine then renders. */
  private final Optional<LlamaTools.Format> templateTools;
  private final SpecialTokens special;
  private final Object lock = new Object();
  private final Set<LlamaCompletion> running = new HashSet<>();
  private boolean closed;
  private boolean released;

  private LlamaChatModel(Settings settings, Executor executor, LlamaModel model, boolean modelTemplate,
                         Optional<LlamaTools.Format> templateTools, SpecialTokens special) {
    this.settings = settings;
    this.executor = executor;
    this.model = model;
    this.modelTemplate = modelTemplate;
    this.templateTools = templateTools;
    this.special = special;
  }

  /**
   * Checks and loads the model. Blocking.
   *
   * @param executor runs completions; platform threads, at least {@code settings.workers()} of them
   */
  public static LlamaChatModel open(Settings settings, Executor executor) {
    Objects.requireNonNull(executor, "executor");
    GgufFile file = GgufFile.validateLanguageModel(settings.modelFile(), CONFIG_KEY);
    LlamaNatives.load();
    ModelParameters parameters = new ModelParameters()
        .setModel(settings.modelFile().toString())
        .setThreads(settings.threads())
        .setThreadsBatch(settings.threads())
        .setParallel(settings.workers())
        .setCtxSize(settings.contextTokens() * settings.workers());
    if (!settings.nativeLog()) {
      parameters.disableLog();
    }
    Optional<LlamaTools.Format> templateTools = LlamaTools.templateFormat(file.chatTemplate());
    if (templateTools.isPresent()) {
      parameters.enableJinja(); // the template renders tools, calls and results only in the Jinja engine
    }
    long started = System.nanoTime();
    LlamaModel model;
    try {
      model = new LlamaModel(parameters);
    } catch (RuntimeException e) { // de.kherud.llama.LlamaException is not public
      throw new ParleyException(Reason.UNAVAILABLE,
          CONFIG_KEY + ": llama.cpp could not load " + settings.modelFile() + ": " + e.getMessage(), e);
    }
    LOG.info("llama.cpp model {} loaded from {} in {} ms ({} workers, {} threads each, {} chat template)",
        settings.name(), settings.modelFile(), (System.nanoTime() - started) / 1_000_000,
        settings.workers(), settings.threads(), file.chatTemplate().isPresent() ? "model's" : "simple");
    return new LlamaChatModel(settings, executor, model, file.chatTemplate().isPresent(), templateTools,
        SpecialTokens.of(file.specialTokenTexts()));
  }

  @Override
  public String model() {
    return settings.name();
  }

  @Override
  public Completion stream(ChatRequest request, Sink sink) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(sink, "sink");
    LlamaCompletion completion = new LlamaCompletion(request, sink);
    boolean accepted;
    synchronized (lock) {
      accepted = !closed && running.add(completion);
    }
    if (!accepted) {
      completion.fail(new ParleyException(Reason.UNAVAILABLE, "llama.cpp model " + model() + " is closed"));
      return completion;
    }
    try {
      executor.execute(completion::run);
    } catch (RejectedExecutionException e) {
      completionEnded(completion);
      completion.fail(new ParleyException(Reason.UNAVAILABLE, "llama.cpp workers are shut down", e));
    }
    return completion;
  }

  /**
   * The prompt llama.cpp receives for a request: the model's template or the simple one, with the
   * model's special tokens broken wherever a message spells one ({@link SpecialTokens}).
   */
  String prompt(ChatRequest request) {
    if (templateTools.isPresent()) {
      return model.applyTemplate(LlamaTools.templateInput(request, special::neutralize).encode());
    }
    List<ChatMessage> messages = request.messages();
    if (modelTemplate) {
      StringBuilder system = new StringBuilder();
      List<Pair<String, String>> turns = new ArrayList<>();
      for (ChatMessage m : messages) {
        String content = special.neutralize(m.content());
        if (m.role().equals("system")) {
          system.append(system.isEmpty() ? "" : "\n\n").append(content);
        } else {
          turns.add(new Pair<>(m.role().equals("assistant") ? "assistant" : "user", withToolText(m, content)));
        }
      }
      appendToolsText(request, system);
      return model.applyTemplate(new InferenceParameters("").setMessages(system.toString(), turns));
    }
    StringBuilder prompt = new StringBuilder();
    StringBuilder system = new StringBuilder();
    for (ChatMessage m : messages) {
      if (m.role().equals("system")) {
        system.append(system.isEmpty() ? "" : "\n\n").append(special.neutralize(m.content()).strip());
      }
    }
    appendToolsText(request, system);
    if (!system.isEmpty()) {
      prompt.append(system).append("\n\n");
    }
    for (ChatMessage m : messages) {
      String content = withToolText(m, special.neutralize(m.content()));
      switch (m.role()) {
        case "system" -> { }
        case "assistant" -> prompt.append("Assistant: ").append(oneLine(content)).append('\n');
        default -> prompt.append("User: ").append(oneLine(content)).append('\n');
      }
    }
    return prompt.append("Assistant:").toString();
  }

  /** The tools in the system text, for a template that cannot render them (Hermes style). */
  private void appendToolsText(ChatRequest request, StringBuilder system) {
    if (request.toolsOffered()) {
      system.append(system.isEmpty() ? "" : "\n\n")
          .append(special.neutralize(LlamaTools.hermesSystemText(request.callableTools())));
    }
  }

  /** A message's text with its calls or its result written out, for a template that knows no tools. */
  private String withToolText(ChatMessage m, String content) {
    if (!m.toolCalls().isEmpty()) {
      String calls = special.neutralize(LlamaTools.hermesCalls(m.toolCalls()));
      return content.isEmpty() ? calls : content + "\n" + calls;
    }
    return m.role().equals("tool") ? LlamaTools.hermesResult(content) : content;
  }

  /** The convention the model's calls follow: its template's, else the Hermes text Parley wrote. */
  LlamaTools.Format toolFormat() {
    return templateTools.orElse(LlamaTools.Format.HERMES);
  }

  private static String oneLine(String s) {
    return s.strip().replace("\r", " ").replace('\n', ' ');
  }

  /** The tokens llama.cpp makes of {@code text} (special tokens parsed, none added), as it does for a prompt. */
  int[] tokenize(String text) {
    return model.encode(text);
  }

  @Override
  public void close() {
    List<LlamaCompletion> toCancel;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      toCancel = List.copyOf(running);
    }
    toCancel.forEach(LlamaCompletion::cancel);
    releaseIfIdle();
  }

  private void completionEnded(LlamaCompletion completion) {
    synchronized (lock) {
      running.remove(completion);
    }
    releaseIfIdle();
  }

  /** Frees the native model once closed and no worker is inside it any more. */
  private void releaseIfIdle() {
    synchronized (lock) {
      if (!closed || released || !running.isEmpty()) {
        return;
      }
      released = true;
    }
    model.close();
    LOG.info("llama.cpp model {} closed", model());
  }

  /** One completion; its state is touched by the worker, cancel() only sets a flag. */
  private final class LlamaCompletion implements Completion {
    private final ChatRequest request;
    private final Sink sink;
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final AtomicBoolean ended = new AtomicBoolean();
    private final Promise<String> finished = Promise.promise();

    LlamaCompletion(ChatRequest request, Sink sink) {
      this.request = request;
      this.sink = sink;
    }

    @Override
    public void cancel() {
      cancelled.set(true);
    }

    @Override
    public Future<String> finished() {
      return finished.future();
    }

    void run() {
      try {
        generate();
      } catch (ParleyException e) {
        fail(e);
      } catch (RuntimeException e) { // LlamaException (not public), or the sink's own failure
        fail(e.getClass().getName().equals("de.kherud.llama.LlamaException")
            ? new ParleyException(Reason.UNAVAILABLE, "llama.cpp completion failed: " + e.getMessage(), e) : e);
      } finally {
        completionEnded(this);
      }
    }

    private void generate() {
      if (cancelled.get()) {
        done("cancelled");
        return;
      }
      String prompt = prompt(request);
      if (!request.toolsOffered()) {
        int streamed = decode(parameters(prompt, request.maxTokens()), this::piece);
        done(streamed == CANCELLED ? "cancelled" : streamed >= request.maxTokens() ? "length" : "stop");
        return;
      }
      LlamaTools.Format format = toolFormat();
      if (request.toolChoice().forced()) {
        // A call from the first token: the trigger is put in the prompt, the grammar does the rest.
        call(format, format == LlamaTools.Format.HERMES ? prompt + format.trigger : prompt, request.maxTokens());
        return;
      }
      LlamaTools.CallStart start = new LlamaTools.CallStart(format, sink::piece);
      int streamed = decode(parameters(prompt, request.maxTokens()), start::accept);
      if (streamed == CANCELLED) {
        done("cancelled");
      } else if (!start.triggered()) {
        start.flush();
        done(streamed >= request.maxTokens() ? "length" : "stop");
      } else if (streamed >= request.maxTokens()) {
        done("length");
      } else {
        // The model began a call: from there on a grammar holds it to the tools' schemas. Hermes
        // continues after its <tool_call>; a Llama answer that is a call starts over as one.
        call(format, format == LlamaTools.Format.HERMES ? prompt + start.written() : prompt,
            request.maxTokens() - streamed);
      }
    }

    /** Generates one call under the grammar, from {@code prompt}, and reports it. */
    private void call(LlamaTools.Format format, String prompt, int maxTokens) {
      List<Tool> tools = request.callableTools();
      InferenceParameters parameters = parameters(prompt, maxTokens)
          .setGrammar(LlamaTools.grammar(format, tools, LlamaModel::jsonSchemaToGrammar));
      StringBuilder text = new StringBuilder();
      int produced = decode(parameters, piece -> {
        text.append(piece);
        return true;
      });
      if (produced == CANCELLED) {
        done("cancelled");
        return;
      }
      String body = format == LlamaTools.Format.HERMES ? LlamaTools.hermesCallBodies(text.toString()).get(0)
          : text.toString();
      ToolCall call;
      try {
        call = LlamaTools.parseCall(format, body, tools);
      } catch (ParleyException e) {
        throw produced < maxTokens ? e : new ParleyException(Reason.UNAVAILABLE,
            "the model's tool call was cut off at the token limit (" + request.maxTokens() + " tokens): "
                + e.getMessage());
      }
      sink.toolCallStarted(0, call.id(), call.name());
      sink.toolCallArguments(0, call.arguments());
      sink.toolCallDone(0, call);
      done("tool_calls");
    }

    private InferenceParameters parameters(String prompt, int maxTokens) {
      InferenceParameters parameters = new InferenceParameters(prompt)
          .setNPredict(maxTokens)
          .setTemperature((float) request.temperature())
          .setCachePrompt(true);
      if (!modelTemplate) {
        parameters.setStopStrings(SIMPLE_STOPS);
      }
      return parameters;
    }

    private boolean piece(String text) {
      sink.piece(text);
      return true;
    }

    /**
     * Runs one llama.cpp task, giving each piece of text to {@code onPiece} until it answers false
     * (the task is then stopped). Returns the tokens sampled, or {@link #CANCELLED}.
     */
    private int decode(InferenceParameters parameters, Predicate<String> onPiece) {
      LlamaIterator tokens = model.generate(parameters).iterator();
      int sampled = 0;
      while (tokens.hasNext()) {
        // The only place a llama.cpp task is cancelled: this thread, between two tokens.
        if (cancelled.get()) {
          tokens.cancel();
          return CANCELLED;
        }
        LlamaOutput output = tokens.next();
        boolean more = tokens.hasNext();
        if (more) {
          sampled++; // a partial result: one sampled token (the final one carries no text)
        }
        if (!output.text.isEmpty()) {
          boolean go;
          try {
            go = onPiece.test(output.text);
          } catch (RuntimeException e) {
            if (tokens.hasNext()) {
              tokens.cancel();
            }
            throw e;
          }
          if (!go) {
            if (tokens.hasNext()) {
              tokens.cancel();
            }
            return sampled;
          }
        }
      }
      return cancelled.get() ? CANCELLED : sampled;
    }

    private void done(String reason) {
      if (ended.compareAndSet(false, true)) {
        try {
          sink.done(reason);
        } finally {
          finished.complete(reason);
        }
      }
    }

    void fail(Throwable error) {
      if (ended.compareAndSet(false, true)) {
        try {
          sink.failed(error);
        } finally {
          finished.fail(error);
        }
      }
    }
  }
}
