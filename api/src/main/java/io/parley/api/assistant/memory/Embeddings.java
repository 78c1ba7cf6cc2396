package io.parley.api.assistant.memory;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import java.util.Optional;

/**
 * Text embeddings for ranking memories and recalled messages by meaning, optional: {@link #NONE}
 * when no server is configured ({@code PARLEY_EMBEDDINGS_BASE_URL} unset), else an
 * {@link OpenAiEmbeddings}. A vector is never required: every caller has a word-based way without.
 */
public interface Embeddings {

  /** No embeddings: every text has none. */
  Embeddings NONE = text -> Future.succeededFuture(Optional.empty());

  /**
   * The vector of {@code text}; empty when there is none (embeddings off, or the server failed or
   * was slow: then logged and counted). The future never fails.
   */
  Future<Optional<float[]>> vector(String text);

  /** A vector as a {@code real[]} parameter (null: none). */
  static Float[] column(Optional<float[]> vector) {
    if (vector.isEmpty()) {
      return null;
    }
    float[] v = vector.get();
    Float[] out = new Float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i];
    }
    return out;
  }

  /** The {@code real[]} column {@code name} of {@code row} (null: none). */
  static float[] read(Row row, String name) {
    Float[] v = row.getArrayOfFloats(name);
    if (v == null) {
      return null;
    }
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i] == null ? 0f : v[i];
    }
    return out;
  }
}
