package io.parley.api.engines;

import io.parley.api.engines.EngineWire.Frame;
import io.parley.api.engines.EngineWire.Type;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.inference.voice.VoiceEvent;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
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
 * retry may succeed. Nothing here runs on an event loop: calls are sent from the caller's thread and
 * answers are read by one reader thread per worker.
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

  /** How a worker is started: its command line and environment. */
  record Launch(List<String> command, Map<String, String> environment, Duration startTimeout) {}

  private final EngineGroup group;
  private final Launch launch;
  private final Path sockets;
  private final ScheduledExecutorService supervisor;
  private final AtomicLong restarts = new AtomicLong();
  private final AtomicLong starts = new AtomicLong();
  private final Logger workerLog;
  private volatile Link link;
  private volatile long nextStartNanos;
  private volatile Duration lastStart = Duration.ofSeconds(5);
  private Duration backoff = FIRST_BACKOFF;
  private volatile boolean closed;

  WorkerProcess(EngineGroup group, Launch launch, Path sockets) {
    this.group = group;
    this.launch = launch;
    this.sockets = sockets;
    this.workerLog = LoggerFactory.getLogger("parley.engine." + group.label());
    this.supervisor = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("parley-engine-" + group.label()).daemon(true).factory());
  }

  EngineGroup group() {
    return group;
  }

  /** Starts the first worker and returns its hello; blocking. Fails when it cannot start. */
  JsonObject start() {
    Link l = spawn();
    link = l;
    return l.hello;
  }

  /** The running worker's process id, when one is up. */
  Optional<Long> pid() {
    Link l = link;
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
    Link l = link;
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
    Link l = link;
    if (l == null) {
      throw restarting("is starting again");
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
    Link l = link;
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

  private Link spawn() {
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
      pb.environment().putAll(launch.environment());
      process = pb.start();
      relayOutput(process);
      SocketChannel channel = accept(server, process, t0 + launch.startTimeout().toNanos());
      Link l = new Link(process, channel);
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

  /**
   * The worker's output, into the node's log under {@code parley.engine.<group>}: a log line at its
   * own level (the worker writes {@link io.parley.api.LogSetup#WORKER_PATTERN}), what follows it (a
   * stack trace) at the same level, what a native library prints at INFO.
   */
  private void relayOutput(Process process) {
    Thread.ofPlatform().name("parley-engine-" + group.label() + "-log").daemon(true).start(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String level = "INFO";
        String line;
        while ((line = r.readLine()) != null) {
          java.util.regex.Matcher m = LOG_LINE.matcher(line);
          if (m.matches()) {
            level = m.group(1);
            line = m.group(2);
          } else if (!line.startsWith("\t") && !line.startsWith("Caused by")) {
            level = "INFO";
          }
          switch (level) {
            case "ERROR" -> workerLog.error("{}", line);
            case "WARN" -> workerLog.warn("{}", line);
            case "DEBUG", "TRACE" -> workerLog.debug("{}", line);
            default -> workerLog.info("{}", line);
          }
        }
      } catch (IOException e) {
        // the process is gone
      }
    });
  }

  private static final java.util.regex.Pattern LOG_LINE = java.util.regex.Pattern.compile(
      "(TRACE|DEBUG|INFO|WARN|ERROR) +(.*)");

  private void read(Link l) {
    try {
      Optional<Frame> next;
      while ((next = EngineWire.read(l.in)).isPresent()) {
        Frame f = next.get();
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

  private void died(Link l) {
    l.dead = true;
    l.writer.shutdownNow();
    l.process.destroyForcibly();
    l.closeChannel();
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
    LOG.error("engines: the {} worker (pid {}) died (exit {}); {} call(s) in it failed; starting another in {} ms",
        group.label(), l.process.pid(), exit, l.calls.size(), backoff.toMillis());
    ParleyException lost = restarting("died (exit " + exit + ")");
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
      Link l = spawn();
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
    Link l = link;
    link = null;
    if (l != null) {
      l.close();
    }
  }

  /** A connected worker. */
  private static final class Link {
    final Process process;
    final SocketChannel channel;
    final DataInputStream in;
    final DataOutputStream out;
    final Map<Long, Call> calls = new ConcurrentHashMap<>();
    final AtomicLong ids = new AtomicLong();
    final java.util.concurrent.ExecutorService writer;
    final java.util.concurrent.atomic.AtomicInteger writerQueue = new java.util.concurrent.atomic.AtomicInteger();
    volatile boolean dead;
    JsonObject hello;
    long startedNanos;

    Link(Process process, SocketChannel channel) {
      this.process = process;
      this.channel = channel;
      this.in = EngineWire.input(channel);
      this.out = EngineWire.output(channel);
      this.writer = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("parley-engine-writer").daemon(true)
          .factory());
    }

    /**
     * Queues {@code f} for the writer thread: callers (event loops among them) never wait for the
     * socket. A write that fails closes the socket, and the reader then sees the worker gone.
     */
    void write(Frame f) {
      writerQueue.incrementAndGet();
      try {
        writer.execute(() -> {
          try {
            EngineWire.write(out, f);
            if (writerQueue.decrementAndGet() == 0) {
              out.flush();
            }
          } catch (IOException e) {
            closeChannel();
          }
        });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        writerQueue.decrementAndGet(); // closed: the call fails with the worker
      }
    }

    private void closeChannel() {
      try {
        channel.close();
      } catch (IOException ignored) {
        // already closed
      }
    }

    void close() {
      dead = true;
      writer.shutdownNow();
      try {
        channel.close();
      } catch (IOException ignored) {
        // already closed
      }
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
}
