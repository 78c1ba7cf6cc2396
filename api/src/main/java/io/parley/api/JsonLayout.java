package io.parley.api;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Map;
import org.slf4j.event.KeyValuePair;

/**
 * One JSON object per log line: time, level, logger, thread, message, the event's key/value pairs
 * (request_id, status, ...) and MDC, and the stack trace if any.
 */
public final class JsonLayout extends LayoutBase<ILoggingEvent> {

  @Override
  public String doLayout(ILoggingEvent e) {
    JsonObject o = new JsonObject()
        .put("ts", Instant.ofEpochMilli(e.getTimeStamp()).toString())
        .put("level", e.getLevel().toString())
        .put("logger", e.getLoggerName())
        .put("thread", e.getThreadName())
        .put("msg", e.getFormattedMessage());
    if (e.getKeyValuePairs() != null) {
      for (KeyValuePair kv : e.getKeyValuePairs()) {
        o.put(kv.key, kv.value instanceof Number || kv.value instanceof Boolean || kv.value == null
            ? kv.value : String.valueOf(kv.value));
      }
    }
    Map<String, String> mdc = e.getMDCPropertyMap();
    if (mdc != null) {
      mdc.forEach(o::put);
    }
    IThrowableProxy t = e.getThrowableProxy();
    if (t != null) {
      o.put("error", ThrowableProxyUtil.asString(t));
    }
    return o.encode() + System.lineSeparator();
  }
}
