package io.parley.api.engines;

import io.parley.api.engines.EngineWire.Frame;
import io.parley.api.engines.EngineWire.Type;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.inference.voice.VoiceEvent;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One engine worker process of a node and its supervision: starts it, talks to it over a Unix socket,
 * and when it dies (a native crash, {@code kill -9}, an out-of-memory) fails the calls in it with
 * {@code engine_restarted} and starts another after a backoff (1 s, doubling to 30 s; back to 1 s once
 * a worker has lived a minute). While none is up, calls fail at once the same way, with the time a
 * retry may succeed. A worker that is alive but answers nothing, not even the pings sent every few
 * seconds, for the answer timeout (stopped, deadlocked, swapping) is taken for hung and killed, and
 * then goes the same way. Calls waiting to be written to a worker are bounded in bytes: past the
 * budget a call fails with {@code engine_busy}. Nothing here runs on an event loop: calls are sent
 * from the caller's thread, written by the link's writer thread, and answers are read by one reader
 * thread per worker.
 */
final class WorkerProcess implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(WorkerProcess.class);

  static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
  static final Duration STABLE = Duration.ofMinutes(1);

  /** A call in a worker: its frames as they arrive; {@link #lost} when the worker died first. */
  interface Call {
    /** A frame of this call; returns true for its last. */
    boolean frame(Frame f);

    void lost(ParleyException e);
  }

  /**
   * How a worker is started (its command line and environment) and watched: how long it may take to
   * start, how long it may stay silent, how many bytes of calls may wait for it.
   */
  record Launch(List<String> command, Map<String, String> environment, Duration startTimeout,
                Duration answerTimeout, long queueBytes) {

    Launch(List<String> command, Map<String, String> environment, Duration startTimeout) {
      this(command, environment, startTimeout, Duration.ofSeconds(30), 256L << 20);
    }
  }

  /**
   * The environment a worker of {@code group} gets: the launch's, with the vision worker's own OpenMP
   * spin where the spin is Parley's default (an operator's own setting is inherited untouched).
   */
  static Map<String, String> environment(Launch launch, EngineGroup group) {
    Map<String, String> env = new java.util.HashMap<>(launch.environment());
    if (group == EngineGroup.VISION && env.containsKey("GOMP_SPINCOUNT")) {
      env.put("GOMP_SPINCOUNT", EngineWorkers.VISION_GOMP_SPINCOUNT);
    }
    return env;
  }

  /** The call id of the node's pings (calls count up from 1): answered, never counted as calls. */
  private static final long PING = -1;

  /** The code of a call refused because too many bytes already wait for the worker. */
  static final String BUSY_CODE = "engine_busy";

  private final EngineGroup group;
  private final Launch launch;
  private final Path sockets;
  private final ScheduledExecutorService supervisor;
  private final AtomicLong restarts = new AtomicLong();
  private final AtomicLong starts = new AtomicLong();
  private final AtomicLong hung = new AtomicLong();
  private volatile WorkerLink link;
  private volatile long nextStartNanos;
  private volatile Duration lastStart = Duration.ofSeconds(5);
  private Duration backoff = FIRST_BACKOFF;
  private volatile boolean closed;

  WorkerProcess(EngineGroup group, Launch launch, Path sockets) {
    this.group = group;
    this.launch = launch;
    this.sockets = sockets;
    this.supervisor = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("parley-engine-" + group.label()).daemon(true).factory());
  }

  EngineGroup group() {
    return group;
  }

  /** Workers killed because they answered nothing within the answer timeout. */
  long hung() {
    return hung.get();
  }

  /** Bytes of calls queued for the running worker and not yet written to it. */
  long queuedBytes() {
    WorkerLink l = link;
    return l == null ? 0 : l.queuedBytes();
  }

  /** Starts the first worker and returns its hello; blocking. Fails when it cannot start. */
  JsonObject start() {
    WorkerLink l = spawn();
    link = l;
    long every = Math.clamp(launch.answerTimeout().toMillis() / 4, 50, 5_000);
    supervisor.scheduleWithFixedDelay(this::watch, every, every, TimeUnit.MILLISECONDS);
    return l.hello;
  }

  /**
   * Pings the running worker, and kills it when nothing came from it for the answer timeout: its
   * reader then sees the socket close and the worker goes as a dead one does. The worker answers
   * pings on its reader thread, whatever its engines are computing.
   */
  private void watch() {
    WorkerLink l = link;
    if (l == null || l.dead || closed) {
      return;
    }
    long silentNanos = System.nanoTime() - l.answeredNanos.get();
    if (silentNanos > launch.answerTimeout().toNanos()) {
      if (!l.hung) {
        l.hung = true;
        hung.incrementAndGet();
        LOG.error("engines: the {} worker (pid {}) answered nothing for {} ms (PARLEY_ENGINE_ANSWER_TIMEOUT); "
            + "killing it", group.label(), l.process.pid(), TimeUnit.NANOSECONDS.toMillis(silentNanos));
        l.process.destroyForcibly();
        l.closeChannel(); // the reader wakes and the link goes, even if the process takes its time to die
      }
      return;
    }
    if (l.pinging.compareAndSet(false, true)) {
      l.write(new Frame(Type.ECHO, PING, new JsonObject()));
    }
  }

  /** The running worker's process id, when one is up. */
  Optional<Long> pid() {
    WorkerLink l = link;
    return l == null ? Optional.empty() : Optional.of(l.process.pid());
  }

  /** Workers started again after one died. */
  long restarts() {
    return restarts.get();
  }

  boolean up() {
    return link != null;
  }

  /** Calls sent to the running worker and not yet answered. */
  int inFlight() {
    WorkerLink l = link;
    return l == null ? 0 : l.calls.size();
  }

  /**
   * Sends {@code request} (its call id is given here) and hands the call's frames to {@code call}.
   * Returns the call id (for {@link #cancel}); fails with {@code engine_restarted} when no worker is up.
   */
  long send(Type type, JsonObject header, byte[] payload, Call call) {
    if (payload.length > EngineWire.MAX_FRAME - (1 << 20)) {
      throw new ParleyException(Reason.LIMITED, "a " + type.name().toLowerCase(java.util.Locale.ROOT) + " call of "
          + payload.length + " bytes is more than an engine worker takes (" + (EngineWire.MAX_FRAME >> 20) + " MiB)");
    }
    WorkerLink l = link;
    if (l == null) {
      throw restarting("is starting again");
    }
    // One call of any size passes an empty queue (MAX_FRAME bounds it): the budget refuses piling up.
    if (payload.length > 0 && l.queuedBytes() > 0 && l.queuedBytes() + payload.length > launch.queueBytes()) {
      throw ParleyException.unavailable(BUSY_CODE, "the " + group.label() + " engine's worker process has "
          + l.queuedBytes() + " bytes of calls waiting for it (PARLEY_ENGINE_QUEUE_BYTES " + launch.queueBytes()
          + "); retry in 1 s", Duration.ofSeconds(1));
    }
    long id = l.ids.incrementAndGet();
    l.calls.put(id, call);
    l.write(new Frame(type, id, header, payload));
    if (l.dead) {
      // The reader may have failed the calls before this one was registered: fail it now (at most once).
      if (l.calls.remove(id) != null) {
        throw restarting("died");
      }
    }
    return id;
  }

  /** Asks the worker to stop the call {@code id}; nothing when it is gone already. */
  void cancel(long id) {
    WorkerLink l = link;
    if (l != null && l.calls.containsKey(id)) {
      l.write(new Frame(Type.CANCEL, id, new JsonObject()));
    }
  }

  /** The failure of a call whose worker is not there: it {@code what}. */
  ParleyException restarting(String what) {
    long wait = Math.max(0, nextStartNanos - System.nanoTime());
    Duration retry = Duration.ofNanos(wait).plus(lastStart);
    return ParleyException.unavailable(VoiceEvent.ENGINE_RESTARTED_CODE, "the " + group.label()
        + " engine's worker process " + what + "; it is started again automatically: retry in "
        + Math.max(1, (retry.toMillis() + 999) / 1000) + " s", retry);
  }

  private WorkerLink spawn() {
    long t0 = System.nanoTime();
    Path socket = sockets.resolve(group.label() + "-" + starts.incrementAndGet() + ".sock");
    Process process = null;
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      List<String> command = new ArrayList<>(launch.command());
      command.add(group.label());
      command.add(socket.toString());
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
      pb.environment().keySet().removeIf(k -> k.startsWith("PARLEY_"));
      pb.environment().putAll(environment(launch, group));
      process = pb.start();
      WorkerOutput.relay(process, group);
      SocketChannel channel = accept(server, process, t0 + launch.startTimeout().toNanos());
      WorkerLink l = new WorkerLink(process, channel, group.label());
      Optional<Frame> hello = EngineWire.read(l.in);
      if (hello.isEmpty() || hello.get().type() != Type.HELLO) {
        channel.close();
        throw new IOException("it closed its socket before saying what it serves");
      }
      l.hello = hello.get().header();
      lastStart = Duration.ofNanos(System.nanoTime() - t0);
      l.startedNanos = System.nanoTime();
      Thread.ofPlatform().name("parley-engine-" + group.label() + "-reader").daemon(true).start(() -> read(l));
      LOG.info("engines: the {} worker (pid {}) is up in {} ms", group.label(), process.pid(), lastStart.toMillis());
      return l;
    } catch (IOException | RuntimeException e) {
      if (process != null) {
        process.destroyForcibly();
      }
      String exit = process != null && !process.isAlive() ? " (exit " + process.exitValue() + ")" : "";
      throw new ParleyException(Reason.UNAVAILABLE, "the " + group.label() + " engine worker could not start"
          + exit + ": " + e.getMessage(), e);
    } finally {
      try {
        Files.deleteIfExists(socket);
      } catch (IOException ignored) {
        // a leftover socket file in the node's private directory
      }
    }
  }

  /** The worker's connection, waiting while it loads its models; fails when it exits or takes too long. */
  private static SocketChannel accept(ServerSocketChannel server, Process process, long deadline) throws IOException {
    server.configureBlocking(false);
    try (Selector selector = Selector.open()) {
      server.register(selector, SelectionKey.OP_ACCEPT);
      while (true) {
        SocketChannel channel = server.accept();
        if (channel != null) {
          channel.configureBlocking(true);
          return channel;
        }
        if (!process.isAlive()) {
          throw new IOException("it exited while loading its engines");
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IOException("it did not connect within the start timeout (PARLEY_ENGINE_START_TIMEOUT)");
        }
        selector.select(Math.max(1, Math.min(200, TimeUnit.NANOSECONDS.toMillis(left))));
        selector.selectedKeys().clear();
      }
    }
  }

  private void read(WorkerLink l) {
    try {
      Optional<Frame> next;
      while ((next = EngineWire.read(l.in)).isPresent()) {
        l.answeredNanos.set(System.nanoTime());
        Frame f = next.get();
        if (f.call() == PING) {
          l.pinging.set(false);
          continue;
        }
        Call call = l.calls.get(f.call());
        if (call != null && call.frame(f)) {
          l.calls.remove(f.call());
        }
      }
    } catch (IOException | RuntimeException e) {
      if (!closed) {
        LOG.warn("engines: reading from the {} worker failed: {}", group.label(), e.toString());
      }
    }
    died(l);
  }

  private void died(WorkerLink l) {
    l.died();
    if (link == l) {
      link = null;
    }
    if (closed) {
      return;
    }
    int exit = waitExit(l.process);
    boolean stable = System.nanoTime() - l.startedNanos > STABLE.toNanos();
    synchronized (this) {
      backoff = stable ? FIRST_BACKOFF : backoff;
      nextStartNanos = System.nanoTime() + backoff.toNanos();
    }
    String how = l.hung ? "answered nothing within PARLEY_ENGINE_ANSWER_TIMEOUT and was killed"
        : "died (exit " + exit + ")";
    LOG.error("engines: the {} worker (pid {}) {}; {} call(s) in it failed; starting another in {} ms",
        group.label(), l.process.pid(), how, l.calls.size(), backoff.toMillis());
    ParleyException lost = restarting(how);
    for (Long id : List.copyOf(l.calls.keySet())) {
      Call call = l.calls.remove(id);
      if (call != null) {
        call.lost(lost);
      }
    }
    scheduleStart();
  }

  private synchronized void scheduleStart() {
    Duration wait = backoff;
    backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
    nextStartNanos = System.nanoTime() + wait.toNanos();
    supervisor.schedule(this::restart, wait.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void restart() {
    if (closed) {
      return;
    }
    try {
      WorkerLink l = spawn();
      if (closed) {
        l.close();
        return;
      }
      link = l;
      restarts.incrementAndGet();
    } catch (ParleyException e) {
      LOG.error("engines: {}", e.getMessage());
      scheduleStart();
    }
  }

  private static int waitExit(Process p) {
    try {
      return p.waitFor(10, TimeUnit.SECONDS) ? p.exitValue() : -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** Stops the worker: its socket closes, it exits; after 5 s it is killed. */
  @Override
  public void close() {
    closed = true;
    supervisor.shutdownNow();
    WorkerLink l = link;
    link = null;
    if (l != null) {
      l.close();
    }
  }
}
