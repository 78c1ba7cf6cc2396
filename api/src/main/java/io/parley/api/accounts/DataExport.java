package io.parley.api.accounts;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.temporal.Temporal;
import java.util.UUID;

/**
 * Everything Parley stores about one user, as JSON (GDPR Art. 15/20), and its deletion (Art. 17).
 * Secrets are never exported: password and token hashes stay out.
 */
public final class DataExport {

  private final Pool pool;

  public DataExport(Pool pool) {
    this.pool = pool;
  }

  public Future<JsonObject> export(UUID userId) {
    Tuple id = Tuple.of(userId);
    JsonObject out = new JsonObject().put("format", "parley-export/1");
    return rows("SELECT id, email, name, role, created_at, updated_at FROM users WHERE id = $1", id)
        .compose(a -> {
          out.put("user", a.isEmpty() ? null : a.getJsonObject(0));
          return rows("SELECT * FROM user_profiles WHERE user_id = $1", id);
        })
        .compose(a -> {
          out.put("profile", a.isEmpty() ? null : a.getJsonObject(0));
          return rows("SELECT * FROM experts WHERE user_id = $1", id);
        })
        .compose(a -> {
          out.put("expert", a.isEmpty() ? null : a.getJsonObject(0));
          return rows("SELECT * FROM appointments WHERE user_id = $1 OR expert_id = $1 ORDER BY scheduled_at", id);
        })
        .compose(a -> {
          out.put("appointments", a);
          return rows("SELECT c.* FROM call_sessions c JOIN appointments a ON a.id = c.appointment_id "
              + "WHERE a.user_id = $1 OR a.expert_id = $1 ORDER BY c.created_at", id);
        })
        .compose(a -> {
          out.put("call_sessions", a);
          return rows("SELECT * FROM conversations WHERE user_id = $1 ORDER BY created_at", id);
        })
        .compose(a -> {
          out.put("conversations", a);
          // Not the optional embedding vectors: numbers derived from the content exported beside them.
          return rows("SELECT m.id, m.conversation_id, m.role, m.content, m.truncated, m.created_at, m.tool_calls, "
              + "m.tool_call_id FROM messages m JOIN conversations c ON c.id = m.conversation_id "
              + "WHERE c.user_id = $1 ORDER BY m.created_at", id);
        })
        .compose(a -> {
          out.put("messages", a);
          return rows("SELECT id, content, source_conversation_id, created_at FROM memories WHERE user_id = $1 "
              + "ORDER BY created_at", id);
        })
        .compose(a -> {
          out.put("memories", a);
          return rows("SELECT id, logged_at, source, description, items, total_kcal, total_protein_g, total_carbs_g,"
              + " total_fat_g, confidence, updated_at,"
              + " model, image_type, image_expires_at, created_at, encode(image, 'base64') AS image_base64"
              + " FROM meals WHERE user_id = $1 ORDER BY logged_at", id);
        })
        .compose(a -> {
          out.put("meals", a);
          return rows("SELECT id, family_id, created_at, expires_at, rotated_at, revoked_at, user_agent, ip "
              + "FROM refresh_tokens WHERE user_id = $1 ORDER BY created_at", id);
        })
        .compose(a -> {
          out.put("sessions", a);
          return rows("SELECT at, action, subject_id, ip, details FROM audit_log WHERE actor_id = $1 OR subject_id = $1 "
              + "ORDER BY at", id);
        })
        .map(a -> out.put("audit_log", a));
  }

  private Future<JsonArray> rows(String sql, Tuple args) {
    return pool.preparedQuery(sql).execute(args).map(DataExport::toJson);
  }

  public static JsonArray toJson(RowSet<Row> rows) {
    JsonArray out = new JsonArray();
    for (Row r : rows) {
      JsonObject o = new JsonObject();
      for (int i = 0; i < r.size(); i++) {
        o.put(r.getColumnName(i), jsonValue(r.getValue(i)));
      }
      out.add(o);
    }
    return out;
  }

  private static Object jsonValue(Object v) {
    if (v == null || v instanceof String || v instanceof Boolean || v instanceof JsonObject || v instanceof JsonArray) {
      return v;
    }
    if (v instanceof Number n) {
      return v instanceof io.vertx.sqlclient.data.Numeric num ? num.doubleValue() : n;
    }
    if (v instanceof UUID || v instanceof Temporal) {
      return v.toString();
    }
    if (v instanceof Object[] arr) {
      JsonArray a = new JsonArray();
      for (Object o : arr) {
        a.add(jsonValue(o));
      }
      return a;
    }
    return v.toString();
  }
}
