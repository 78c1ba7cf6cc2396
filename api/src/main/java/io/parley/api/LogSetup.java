package io.parley.api;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import io.parley.core.config.ParleyConfig.LogFormat;
import org.slf4j.LoggerFactory;

/** Points the root logger at stdout in the configured format (one JSON object per line by default). */
public final class LogSetup {

  /** An engine worker's line format: level first, which its node reads to log the line at that level. */
  public static final String WORKER_PATTERN = "%-5level %logger{24} %msg %kvp%n%ex";

  /** Log events buffered between the threads that log and the one that writes. */
  static final int QUEUE_SIZE = 8192;

  private LogSetup() {}

  static void configure(LogFormat format) {
    configure(format, Level.INFO, "System.out");
  }

  /** For the operator's commands: warnings and errors only, on stderr, so that their output stays readable. */
  static void configureForCommand() {
    configure(LogFormat.TEXT, Level.WARN, "System.err");
  }

  /** For an engine worker process: plain lines on stdout that its node reads ({@link #WORKER_PATTERN}). */
  public static void configureForWorker() {
    configure(null, Level.INFO, "System.out");
  }

  private static void configure(LogFormat format, Level level, String target) {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.detachAndStopAllAppenders();
    Encoder<ILoggingEvent> encoder;
    if (format == LogFormat.JSON) {
      JsonLayout layout = new JsonLayout();
      layout.setContext(ctx);
      layout.start();
      LayoutWrappingEncoder<ILoggingEvent> e = new LayoutWrappingEncoder<>();
      e.setLayout(layout);
      encoder = e;
    } else {
      PatternLayoutEncoder e = new PatternLayoutEncoder();
      e.setPattern(format == null ? WORKER_PATTERN : "%d{HH:mm:ss.SSS} %-5level %logger{24} %msg %kvp%n%ex");
      encoder = e;
    }
    encoder.setContext(ctx);
    encoder.start();
    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setContext(ctx);
    console.setName("console");
    console.setTarget(target);
    console.setEncoder(encoder);
    console.start();
    // Writing to stdout is blocking I/O: event loops only enqueue, one thread formats and writes.
    // The queue blocks when full rather than dropping lines (discardingThreshold 0).
    AsyncAppender async = new AsyncAppender();
    async.setContext(ctx);
    async.setName("async-stdout");
    async.setQueueSize(QUEUE_SIZE);
    async.setDiscardingThreshold(0);
    async.setIncludeCallerData(false);
    async.addAppender(console);
    async.start();
    root.addAppender(async);
    root.setLevel(level);
  }

  static void flush() {
    ((LoggerContext) LoggerFactory.getILoggerFactory()).stop();
  }
}
