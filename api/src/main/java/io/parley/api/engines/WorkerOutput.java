package io.parley.api.engines;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An engine worker's output, into the node's log under {@code parley.engine.<group>}: a log line at
 * its own level (the worker writes {@link io.parley.api.LogSetup#WORKER_PATTERN}), what follows it (a
 * stack trace) at the same level, what a native library prints at INFO.
 */
final class WorkerOutput {

  private static final Pattern LOG_LINE = Pattern.compile("(TRACE|DEBUG|INFO|WARN|ERROR) +(.*)");

  private WorkerOutput() {}

  /** Relays {@code process}'s output on a thread of its own until the process closes it. */
  static void relay(Process process, EngineGroup group) {
    Logger log = LoggerFactory.getLogger("parley.engine." + group.label());
    Thread.ofPlatform().name("parley-engine-" + group.label() + "-log").daemon(true).start(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String level = "INFO";
        String line;
        while ((line = r.readLine()) != null) {
          Matcher m = LOG_LINE.matcher(line);
          if (m.matches()) {
            level = m.group(1);
            line = m.group(2);
          } else if (!line.startsWith("\t") && !line.startsWith("Caused by")) {
            level = "INFO";
          }
          switch (level) {
            case "ERROR" -> log.error("{}", line);
            case "WARN" -> log.warn("{}", line);
            case "DEBUG", "TRACE" -> log.debug("{}", line);
            default -> log.info("{}", line);
          }
        }
      } catch (IOException e) {
        // the process is gone
      }
    });
  }
}
