package io.parley.core.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Captures what the named loggers (and their children) log while open. */
public final class LogCapture implements AutoCloseable {

  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final List<Logger> loggers = new ArrayList<>();

  public LogCapture(String... names) {
    appender.start();
    for (String name : names) {
      Logger logger = (Logger) LoggerFactory.getLogger(name);
      logger.addAppender(appender);
      loggers.add(logger);
    }
  }

  /** Events at WARN or above, as "LEVEL logger: message [exception class: message]". */
  public List<String> warnings() {
    List<ILoggingEvent> events;
    synchronized (appender) { // appends are synchronized on the appender
      events = List.copyOf(appender.list);
    }
    return events.stream()
        .filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
        .map(e -> e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage()
            + (e.getThrowableProxy() == null ? ""
                : " " + e.getThrowableProxy().getClassName() + ": " + e.getThrowableProxy().getMessage()))
        .toList();
  }

  public void clear() {
    synchronized (appender) {
      appender.list.clear();
    }
  }

  @Override
  public void close() {
    for (Logger logger : loggers) {
      logger.detachAppender(appender);
    }
    appender.stop();
  }
}
