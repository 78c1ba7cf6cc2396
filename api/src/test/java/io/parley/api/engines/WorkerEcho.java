package io.parley.api.engines;

import io.parley.api.engines.EngineWire.Frame;
import io.parley.api.engines.EngineWire.Type;
import io.parley.core.ParleyException;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.CompletableFuture;

/**
 * One frame's round trip through an engine worker process ({@link Type#ECHO}): the process hop a call
 * pays, with nothing computed. The frame takes a call's path both ways: the caller's thread, the
 * node's writer thread, the socket, the worker's reader thread, the socket back and the node's reader
 * thread, which wakes the caller.
 */
public final class WorkerEcho {

  private WorkerEcho() {}

  /** Sends an {@code ECHO} of {@code header} and {@code payload} to the worker of {@code group}; the frame back. */
  static CompletableFuture<Frame> echo(EngineWorkers engines, EngineGroup group, JsonObject header, byte[] payload) {
    return echo(engines.worker(group).orElseThrow(() -> new IllegalStateException("no " + group
        + " worker on this node")), header, payload);
  }

  /** Sends an {@code ECHO} of {@code header} and {@code payload} to {@code worker}; the frame back. */
  static CompletableFuture<Frame> echo(WorkerProcess worker, JsonObject header, byte[] payload) {
    CompletableFuture<Frame> back = new CompletableFuture<>();
    worker.send(Type.ECHO, header, payload, new WorkerProcess.Call() {
      @Override
      public boolean frame(Frame f) {
        back.complete(f);
        return true;
      }

      @Override
      public void lost(ParleyException e) {
        back.completeExceptionally(e);
      }
    });
    return back;
  }

  /** Nanoseconds of each of {@code n} round trips, one after the other, of {@code bytes} bytes of payload. */
  public static long[] roundTrips(EngineWorkers engines, EngineGroup group, int bytes, int n) {
    byte[] payload = new byte[bytes];
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      Remote.await(echo(engines, group, new JsonObject(), payload));
      out[i] = System.nanoTime() - t0;
    }
    return out;
  }
}
