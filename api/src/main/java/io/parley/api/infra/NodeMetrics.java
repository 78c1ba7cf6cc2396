package io.parley.api.infra;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.UUID;

/** A node's meter registry (served at {@code /metrics}) and the Vert.x instance that reports into it. */
public final class NodeMetrics {

  /** The methods HTTP metrics label by name (RFC 9110 and PATCH); any other is {@code OTHER}. */
  static final java.util.Set<String> KNOWN_METHODS = java.util.Set.of("GET", "HEAD", "POST", "PUT", "DELETE",
      "CONNECT", "OPTIONS", "TRACE", "PATCH");

  private NodeMetrics() {}

  /** A Prometheus registry with HTTP latency histograms and the JVM's own meters. */
  public static PrometheusMeterRegistry registry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // Latency histograms (Prometheus buckets) for HTTP server timings, so p50/p99 can be computed.
    registry.config().meterFilter(new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        if (id.getName().equals("vertx.http.server.response.time")) {
          return DistributionStatisticConfig.builder().percentilesHistogram(true)
              .minimumExpectedValue(1e5).maximumExpectedValue(3e10).build().merge(config);
        }
        return config;
      }
    });
    // A made-up method name would be a new label value (and new series) per request: anyone could
    // grow the registry and the scrape. Unknown methods share one value.
    registry.config().meterFilter(MeterFilter.replaceTagValues("method",
        m -> KNOWN_METHODS.contains(m) ? m : "OTHER"));
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    return registry;
  }

  /**
   * A Vert.x instance whose HTTP, pool and client metrics go to {@code registry}, labelled by
   * route, method, status and pool.
   */
  public static Vertx vertx(PrometheusMeterRegistry registry) {
    // Vert.x keeps metrics backends in a static map by registry name: with the default name, every
    // further node in this JVM would report into the first node's registry and not its own.
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions()
        .setEnabled(true)
        .setRegistryName("parley-" + UUID.randomUUID())
        .setJvmMetricsEnabled(false)
        .addLabels(Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE, Label.POOL_TYPE, Label.POOL_NAME);
    return Vertx.builder()
        .with(new VertxOptions().setMetricsOptions(metrics))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .build();
  }
}
