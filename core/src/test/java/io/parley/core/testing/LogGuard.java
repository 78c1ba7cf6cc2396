package io.parley.core.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Fails the test during which Vert.x logged an "Unhandled exception" (an exception that escaped a
 * handler: whatever that handler had still to do was skipped) or Netty a buffer leak report. Each
 * is a bug, and a clean run logs none. Registered for every test class of every module through
 * JUnit's extension auto-detection (this test-jar's {@code META-INF/services}; the parent pom turns
 * auto-detection on), so no test can forget it.
 *
 * <p>A report is charged to the test running when it is logged, or, when logged between tests, to
 * the class's {@code @AfterAll}. A leak report comes when the collector finds the buffer, which can be
 * a later test: the failure then names the report, whose access records point at the leak. Reports
 * carrying {@link #CANARY} are a test's deliberate leak and are never charged.
 */
public final class LogGuard implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback {

  /** Hint of a deliberately leaked buffer (TurnFuzzTest proves leak reports are seen at all). */
  public static final String CANARY = "parley-fuzz-canary";
  private static final String APPENDER = "parley-log-guard";
  private static final Queue<String> REPORTS = new ConcurrentLinkedQueue<>();

  @Override
  public void beforeAll(ExtensionContext context) {
    install();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    install();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    check("during " + context.getDisplayName());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    check("in the set-up or tear-down of " + context.getDisplayName());
  }

  /**
   * Removes and returns the reports {@code which} matches: for a test that provokes one on purpose
   * and asserts on it. Whatever it does not take still fails the test.
   */
  public static List<String> take(Predicate<String> which) {
    List<String> taken = new ArrayList<>();
    for (Iterator<String> it = REPORTS.iterator(); it.hasNext(); ) {
      String r = it.next();
      if (which.test(r)) {
        taken.add(r);
        it.remove();
      }
    }
    return taken;
  }

  /** How many reports {@code which} matches, without taking them. */
  static int pending(Predicate<String> which) {
    return (int) REPORTS.stream().filter(which).count();
  }

  private static void check(String when) {
    List<String> found = take(r -> true);
    if (!found.isEmpty()) {
      throw new AssertionError(found.size() + " unhandled exception(s) or leak report(s) logged " + when
          + ":\n" + String.join("\n---\n", found));
    }
  }

  /** Attaches the appender to the root logger, again if a reconfiguration of logback dropped it. */
  static void install() {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      throw new IllegalStateException("LogGuard needs logback as the SLF4J binding of the tests");
    }
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    synchronized (LogGuard.class) {
      if (root.getAppender(APPENDER) == null) {
        Catcher catcher = new Catcher();
        catcher.setContext(context);
        catcher.setName(APPENDER);
        catcher.start();
        root.addAppender(catcher);
      }
    }
  }

  /** True for the events this guard reports. */
  static boolean reportable(ILoggingEvent e) {
    if (!e.getLevel().isGreaterOrEqual(Level.ERROR)) {
      return false;
    }
    String message = e.getFormattedMessage();
    return message != null && (message.contains("Unhandled exception")
        || e.getLoggerName().equals("io.netty.util.ResourceLeakDetector") && message.startsWith("LEAK:"));
  }

  private static final class Catcher extends AppenderBase<ILoggingEvent> {
    @Override
    protected void append(ILoggingEvent e) {
      if (!reportable(e)) {
        return;
      }
      IThrowableProxy t = e.getThrowableProxy();
      String report = "[" + e.getThreadName() + "] " + e.getLoggerName() + ": " + e.getFormattedMessage()
          + (t == null ? "" : "\n" + ThrowableProxyUtil.asString(t));
      if (!report.contains(CANARY)) {
        REPORTS.add(report);
      }
    }
  }
}
