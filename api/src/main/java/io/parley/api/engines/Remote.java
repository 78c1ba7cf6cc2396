package io.parley.api.engines;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** What the engines in worker processes share on the node's side. */
final class Remote {

  private Remote() {}

  /** The call's result on the calling (worker) thread; its failure as thrown by a local engine. */
  static <T> T await(CompletableFuture<T> result) {
    try {
      return result.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new ParleyException(Reason.INTERNAL, "an engine call failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ParleyException(Reason.UNAVAILABLE, "interrupted while an engine worked", e);
    }
  }
}
