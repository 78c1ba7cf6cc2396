package io.parley.api.infra;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * Keyset pagination over rows ordered by a time and an id: the opaque cursor a page hands out is the
 * last row's (time, id), and the next query asks for rows after it. Stable while rows are added,
 * unlike offsets.
 *
 * @param at the last row's time
 * @param id the last row's id
 */
public record Keyset(OffsetDateTime at, UUID id) {

  /** A page of items and the cursor of the next one (empty on the last page). */
  public record Page(List<JsonObject> items, Optional<String> nextCursor) {}

  /** The position a client's cursor names, or null for the first page; INVALID for a forged one. */
  public static Keyset after(String cursor) {
    if (cursor == null) {
      return null;
    }
    try {
      String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\\|", 2);
      return new Keyset(OffsetDateTime.parse(parts[0]), UUID.fromString(parts[1]));
    } catch (RuntimeException bad) {
      throw new ParleyException(Reason.INVALID, "cursor is not one this server issued");
    }
  }

  /** The cursor of this position. */
  public String cursor() {
    String raw = at + "|" + id;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  /** Time of a position, or null for the first page (a query parameter). */
  public static OffsetDateTime timeOf(Keyset k) {
    return k == null ? null : k.at;
  }

  /** Id of a position, or null for the first page (a query parameter). */
  public static UUID idOf(Keyset k) {
    return k == null ? null : k.id;
  }

  /**
   * The page of rows fetched with {@code LIMIT limit + 1}: at most {@code limit} items, and a cursor
   * when the extra row shows there is more, from the last item's {@code timeColumn} and {@code idColumn}.
   */
  public static Page page(RowSet<Row> rows, int limit, Function<Row, JsonObject> item, String timeColumn,
                          String idColumn) {
    List<JsonObject> items = new ArrayList<>();
    Row last = null;
    for (Row r : rows) {
      if (items.size() == limit) {
        break;
      }
      items.add(item.apply(r));
      last = r;
    }
    Optional<String> next = rows.size() > limit && last != null
        ? Optional.of(new Keyset(last.getOffsetDateTime(timeColumn), last.getUUID(idColumn)).cursor())
        : Optional.empty();
    return new Page(items, next);
  }
}
