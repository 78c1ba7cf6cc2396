package io.parley.api.engines;

import io.parley.api.engines.EngineWire.Frame;
import io.vertx.core.json.JsonObject;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A connected engine worker: its process, its socket, the calls waiting for an answer, and one
 * writer thread with a queue, so that callers (event loops among them) never wait for the socket.
 * The queue's bytes are counted: a worker that stops reading (hung, or far behind) cannot make the
 * node buffer without bound (see {@link WorkerProcess#send}).
 */
final class WorkerLink {

  final Process process;
  final DataInputStream in;
  final Map<Long, WorkerProcess.Call> calls = new ConcurrentHashMap<>();
  final AtomicLong ids = new AtomicLong();
  /** When the worker last answered a ping (or connected). */
  final AtomicLong answeredNanos = new AtomicLong(System.nanoTime());
  /** Whether a ping is out and not answered (one at a time). */
  final AtomicBoolean pinging = new AtomicBoolean();
  private final SocketChannel channel;
  private final DataOutputStream out;
  private final ExecutorService writer;
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicLong queuedBytes = new AtomicLong();
  volatile boolean dead;
  /** Killed for answering nothing within the answer timeout. */
  volatile boolean hung;
  JsonObject hello;
  long startedNanos;

  WorkerLink(Process process, SocketChannel channel, String group) {
    this.process = process;
    this.channel = channel;
    this.in = EngineWire.input(channel);
    this.out = EngineWire.output(channel);
    this.writer = Executors.newSingleThreadExecutor(
        Thread.ofPlatform().name("parley-engine-" + group + "-writer").daemon(true).factory());
  }

  /** Bytes of frames queued for the socket and not yet written. */
  long queuedBytes() {
    return queuedBytes.get();
  }

  /**
   * Queues {@code f} for the writer thread. A write that fails closes the socket, and the reader
   * then sees the worker gone.
   */
  void write(Frame f) {
    long bytes = f.payload().length;
    queued.incrementAndGet();
    queuedBytes.addAndGet(bytes);
    try {
      writer.execute(() -> {
        try {
          EngineWire.write(out, f);
          if (queued.decrementAndGet() == 0) {
            out.flush();
          }
        } catch (IOException e) {
          closeChannel();
        } finally {
          queuedBytes.addAndGet(-bytes);
        }
      });
    } catch (RejectedExecutionException e) {
      queued.decrementAndGet(); // closed: the call fails with the worker
      queuedBytes.addAndGet(-bytes);
    }
  }

  /** The worker is gone: nothing more is written; its process is killed. */
  void died() {
    dead = true;
    writer.shutdownNow();
    process.destroyForcibly();
    closeChannel();
  }

  void closeChannel() {
    try {
      channel.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  /** Stops the worker: its socket closes, it exits; after 5 s it is killed. */
  void close() {
    dead = true;
    writer.shutdownNow();
    closeChannel();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
