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
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
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
  private final SpecialTokens special;
  private final Object lock = new Object();
  private final Set<LlamaCompletion> running = new HashSet<>();
  private boolean closed;
  private boolean released;

  private LlamaChatModel(Settings settings, Executor executor, LlamaModel model, boolean modelTemplate,
                         SpecialTokens special) {
    this.settings = settings;
    this.executor = executor;
    this.model = model;
    this.modelTemplate = modelTemplate;
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
    return new LlamaChatModel(settings, executor, model, file.chatTemplate().isPresent(),
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
    if (modelTemplate) {
      StringBuilder system = new StringBuilder();
      List<Pair<String, String>> turns = new ArrayList<>();
      for (ChatMessage m : request.messages()) {
        String content = special.neutralize(m.content());
        if (m.role().equals("system")) {
          system.append(system.isEmpty() ? "" : "\n\n").append(content);
        } else {
          turns.add(new Pair<>(m.role().equals("assistant") ? "assistant" : "user", content));
        }
      }
      return model.applyTemplate(new InferenceParameters("").setMessages(system.toString(), turns));
    }
    StringBuilder prompt = new StringBuilder();
    for (ChatMessage m : request.messages()) {
      String content = special.neutralize(m.content());
      switch (m.role()) {
        case "system" -> prompt.append(content.strip()).append("\n\n");
        case "assistant" -> prompt.append("Assistant: ").append(oneLine(content)).append('\n');
        default -> prompt.append("User: ").append(oneLine(content)).append('\n');
      }
    }
    return prompt.append("Assistant:").toString();
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
      InferenceParameters parameters = new InferenceParameters(prompt(request))
          .setNPredict(request.maxTokens())
          .setTemperature((float) request.temperature())
          .setCachePrompt(true);
      if (!modelTemplate) {
        parameters.setStopStrings(SIMPLE_STOPS);
      }
      LlamaIterator tokens = model.generate(parameters).iterator();
      int streamed = 0;
      while (tokens.hasNext()) {
        // The only place a llama.cpp task is cancelled: this thread, between two tokens.
        if (cancelled.get()) {
          tokens.cancel();
          done("cancelled");
          return;
        }
        LlamaOutput output = tokens.next();
        if (tokens.hasNext()) {
          streamed++; // a partial result: one sampled token (the final one carries no text)
        }
        if (!output.text.isEmpty()) {
          try {
            sink.piece(output.text);
          } catch (RuntimeException e) {
            if (tokens.hasNext()) {
              tokens.cancel();
            }
            throw e;
          }
        }
      }
      done(cancelled.get() ? "cancelled" : streamed >= request.maxTokens() ? "length" : "stop");
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
