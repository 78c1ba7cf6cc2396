package io.parley.inference.llm;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** A sink that records what a completion delivered, and on which threads. */
final class RecordingSink implements ChatModel.Sink {
  final List<String> pieces = new CopyOnWriteArrayList<>();
  final List<String> threads = new CopyOnWriteArrayList<>();
  final List<String> terminal = new CopyOnWriteArrayList<>();
  /** Tool call events in order: "start:index:id:name", "args:index:piece", "done:index". */
  final List<String> toolEvents = new CopyOnWriteArrayList<>();
  final List<ToolCall> toolCalls = new CopyOnWriteArrayList<>();
  volatile Throwable error;
  volatile String finishReason;
  private final CountDownLatch end = new CountDownLatch(1);
  private final Consumer<RecordingSink> onPiece;

  RecordingSink() {
    this(s -> {});
  }

  RecordingSink(Consumer<RecordingSink> onPiece) {
    this.onPiece = onPiece;
  }

  @Override
  public void piece(String text) {
    if (!terminal.isEmpty()) {
      throw new AssertionError("piece after the end: " + text);
    }
    pieces.add(text);
    threads.add(Thread.currentThread().getName());
    onPiece.accept(this);
  }

  @Override
  public void toolCallStarted(int index, String id, String name) {
    toolEvents.add("start:" + index + ":" + id + ":" + name);
  }

  @Override
  public void toolCallArguments(int index, String delta) {
    toolEvents.add("args:" + index + ":" + delta);
  }

  @Override
  public void toolCallDone(int index, ToolCall call) {
    toolEvents.add("done:" + index);
    toolCalls.add(call);
  }

  @Override
  public void done(String reason) {
    terminal.add("done:" + reason);
    finishReason = reason;
    end.countDown();
  }

  @Override
  public void failed(Throwable e) {
    terminal.add("failed:" + e);
    error = e;
    end.countDown();
  }

  String text() {
    return String.join("", pieces);
  }

  RecordingSink await() throws InterruptedException {
    if (!end.await(20, TimeUnit.SECONDS)) {
      throw new AssertionError("completion did not end; pieces so far: " + pieces.size());
    }
    return this;
  }
}
