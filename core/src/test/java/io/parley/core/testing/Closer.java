package io.parley.core.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * What a test opened (servers, clients, sockets), closed in reverse order when it ends: declare it
 * as {@code @AutoClose final Closer open = new Closer();} and wrap each resource in {@link #add}.
 */
public final class Closer implements AutoCloseable {

  private final List<AutoCloseable> resources = new ArrayList<>();

  /** Closes {@code resource} when the test ends (after everything added later); returns it. */
  public <T extends AutoCloseable> T add(T resource) {
    resources.add(resource);
    return resource;
  }

  @Override
  public void close() throws Exception {
    Exception first = null;
    for (AutoCloseable r : resources.reversed()) {
      try {
        r.close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    resources.clear();
    if (first != null) {
      throw first;
    }
  }
}
