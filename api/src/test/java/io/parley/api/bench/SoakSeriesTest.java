package io.parley.api.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The soak's arithmetic and files: slopes, the judged window, quantiles, the CSV and the plot. */
class SoakSeriesTest {

  @TempDir
  Path dir;

  /** 30 minutes: a flat resource with noise, one growing 2% per 10 minutes, one leaking early only. */
  private static SoakSeries thirtyMinutes() {
    SoakSeries s = new SoakSeries();
    for (int m = 0; m <= 30; m++) {
      s.add(m, Map.of("flat", 500 + (m % 2 == 0 ? 3.0 : -3.0),
          "growing", 1000 + 2.0 * m,
          "warming", m < 10 ? 100 + 10.0 * m : 200));
    }
    return s;
  }

  @Test
  void theLeastSquaresSlopeOfALineIsItsSlopeAndNoiseAroundALevelIsFlat() {
    List<double[]> line = new ArrayList<>();
    for (int x = 0; x < 10; x++) {
      line.add(new double[] {x, 3 + 0.5 * x});
    }
    assertThat(SoakSeries.slope(line)).isCloseTo(0.5, within(1e-12));
    assertThat(SoakSeries.slope(List.of(new double[] {1, 5}))).as("one point").isZero();

    SoakSeries s = thirtyMinutes();
    assertThat(s.lastMinute()).isEqualTo(30);
    assertThat(s.windowStart()).as("the last 20 minutes").isEqualTo(10);
    SoakSeries.Trend flat = s.trend("flat", s.windowStart());
    assertThat(flat.points()).isEqualTo(21);
    assertThat(Math.abs(flat.pctPer10Minutes())).isLessThan(0.1);
    assertThat(flat.flat()).isTrue();
    // 2 per minute at a level of ~1040 (mean of minutes 10-30): 20 per 10 minutes, ~1.9%.
    SoakSeries.Trend growing = s.trend("growing", s.windowStart());
    assertThat(growing.slopePerMinute()).isCloseTo(2.0, within(1e-9));
    assertThat(growing.level()).isCloseTo(1040.0, within(1e-9));
    assertThat(growing.pctPer10Minutes()).isCloseTo(20 / 1040.0 * 100, within(1e-9));
    assertThat(growing.flat()).isFalse();
    assertThat(s.trend("warming", s.windowStart()).flat()).as("warm-up before the window is not judged").isTrue();
    assertThat(s.trend("warming", 0).flat()).isFalse();
  }

  @Test
  void aShortRunJudgesItsLastTwoThirds() {
    SoakSeries s = new SoakSeries();
    for (int m = 0; m <= 6; m++) {
      s.add(m, Map.of("x", (double) m));
    }
    assertThat(s.windowStart()).isEqualTo(2);
    assertThat(s.trend("x", s.windowStart()).points()).isEqualTo(5);
  }

  @Test
  void quantilesComeFromTheBucketsOfTheMinuteInterpolatedLikePrometheus() {
    NavigableMap<Double, Double> before = new TreeMap<>(Map.of(0.001, 50.0, 0.01, 60.0, 0.1, 60.0,
        Double.POSITIVE_INFINITY, 60.0));
    NavigableMap<Double, Double> now = new TreeMap<>(Map.of(0.001, 140.0, 0.01, 158.0, 0.1, 160.0,
        Double.POSITIVE_INFINITY, 160.0));
    NavigableMap<Double, Double> minute = SoakSeries.delta(now, before);
    assertThat(minute).containsEntry(0.001, 90.0).containsEntry(0.01, 98.0).containsEntry(0.1, 100.0);
    // p99 is the 99th of 100: the bucket (0.01, 0.1] holds the 99th and 100th, halfway in.
    assertThat(SoakSeries.quantile(minute, 0.99)).isCloseTo(0.055, within(1e-12));
    // p50: the 50th of the 90 in the first bucket, from 0.
    assertThat(SoakSeries.quantile(minute, 0.5)).isCloseTo(0.001 * 50 / 90, within(1e-12));
    assertThat(SoakSeries.quantile(new TreeMap<>(Map.of(0.1, 0.0, Double.POSITIVE_INFINITY, 0.0)), 0.99))
        .as("nothing observed").isNaN();
    assertThat(SoakSeries.quantile(new TreeMap<>(Map.of(0.1, 0.0, Double.POSITIVE_INFINITY, 5.0)), 0.99))
        .as("beyond the last bound: the bound").isEqualTo(0.1);
  }

  @Test
  void theCsvHoldsEveryColumnAndReadsBackTheSame() throws Exception {
    SoakSeries s = thirtyMinutes();
    s.add(31, Map.of("rss_mb java Worker, restarted", 42.5)); // a process that came late, a comma in its name
    Path csv = dir.resolve("soak.csv");
    s.writeCsv(csv);
    List<String> lines = Files.readAllLines(csv);
    assertThat(lines.getFirst()).startsWith("minute,").contains("\"rss_mb java Worker, restarted\"");
    assertThat(lines).hasSize(33);
    assertThat(lines.get(1)).startsWith("0,");
    assertThat(lines.getLast()).startsWith("31,").endsWith(",42.500");
    SoakSeries back = SoakSeries.readCsv(csv);
    assertThat(back.columns()).containsExactlyInAnyOrderElementsOf(s.columns());
    for (String c : s.columns()) {
      assertThat(back.points(c)).as(c).isEqualTo(s.points(c));
    }
  }

  @Test
  void thePlotHasAPanelPerGroupWithEachColumnDrawn() throws Exception {
    SoakSeries s = thirtyMinutes();
    Path png = dir.resolve("soak.png");
    s.writePng(png, "test soak", List.of(new SoakSeries.Panel("flat", List.of("flat")),
        new SoakSeries.Panel("two", List.of("growing", "warming")), new SoakSeries.Panel("three", List.of("flat"))));
    BufferedImage img = ImageIO.read(png.toFile());
    assertThat(img.getWidth()).isEqualTo(1200);
    assertThat(img.getHeight()).as("two rows of panels under the title").isEqualTo(40 + 2 * 270);
    // The first line colour (the first column of each panel) appears in all three panels.
    int blue = 0x1f77b4;
    assertThat(colourIn(img, blue, 0, 40, 600, 310)).isTrue();
    assertThat(colourIn(img, blue, 600, 40, 1200, 310)).isTrue();
    assertThat(colourIn(img, blue, 0, 310, 600, 580)).isTrue();
    assertThat(colourIn(img, 0xd62728, 600, 40, 1200, 310)).as("the second line of panel two").isTrue();
    assertThat(colourIn(img, 0xd62728, 0, 40, 600, 310)).as("panel one has one line").isFalse();
  }

  /** More columns than a panel's legend has room for: every line is still drawn. */
  @Test
  void everyColumnIsDrawnEvenWhenItsLegendHasNoRoom() throws Exception {
    SoakSeries s = new SoakSeries();
    List<String> many = new ArrayList<>();
    for (int c = 0; c < 12; c++) {
      many.add("a column with a long name, number " + c);
    }
    for (int m = 0; m <= 5; m++) {
      for (int c = 0; c < 12; c++) {
        s.add(m, Map.of(many.get(c), 10.0 * c));
      }
    }
    Path png = dir.resolve("many.png");
    s.writePng(png, "many", List.of(new SoakSeries.Panel("many", many)));
    BufferedImage img = ImageIO.read(png.toFile());
    // The ninth column cycles back to the first colour; the last, the fourth (orange), at the top.
    assertThat(colourIn(img, 0xff7f0e, 70, 70, 585, 100)).as("the top line, 110, is drawn").isTrue();
  }

  private static boolean colourIn(BufferedImage img, int rgb, int x0, int y0, int x1, int y1) {
    for (int x = x0; x < x1; x++) {
      for (int y = y0; y < y1; y++) {
        if ((img.getRGB(x, y) & 0xffffff) == rgb) {
          return true;
        }
      }
    }
    return false;
  }

  @Test
  void theNodesFiguresAreReadFromItsMetricsAndProcessesNamedByTheirCommandLines() {
    String metrics = """
        # TYPE parley_event_loop_lag_seconds histogram
        parley_event_loop_lag_seconds_bucket{le="0.001"} 10.0
        parley_event_loop_lag_seconds_bucket{le="0.002"} 12.0
        parley_event_loop_lag_seconds_bucket{le="+Inf"} 12.0
        parley_event_loop_lag_seconds_count 12.0
        vertx_http_server_requests_total{code="200",method="GET",route="/health/live"} 7.0
        vertx_http_server_requests_total{code="500",method="POST",route="/v1/audio/speech"} 2.0
        vertx_http_server_requests_total{code="503",method="POST",route="/api/v1/meals"} 1.0
        """;
    assertThat(SoakLoad.lagBuckets(metrics)).containsExactly(Map.entry(0.001, 10.0), Map.entry(0.002, 12.0),
        Map.entry(Double.POSITIVE_INFINITY, 12.0));
    assertThat(SoakLoad.serverErrors(metrics)).isEqualTo(3.0);
    assertThat(SoakLoad.processName("/usr/lib/jvm/jdk/bin/java -Xmx1g -XX:NativeMemoryTracking=summary -jar "
        + "/x/api/target/parley.jar")).isEqualTo("java parley.jar");
    assertThat(SoakLoad.processName("/usr/bin/java -cp a.jar:b.jar io.parley.inference.worker.EngineWorker --socket s"))
        .isEqualTo("java EngineWorker");
    assertThat(SoakLoad.processName("/usr/bin/java -Xmx512m io.parley.api.engines.EngineWorker vision /tmp/e/vision-1.sock"))
        .as("each worker named by its group").isEqualTo("java EngineWorker vision");
    assertThat(SoakLoad.judged("rss_mb java EngineWorker vision")).isTrue();
    assertThat(SoakLoad.judged("rss_mb postgres: checkpointer")).as("PostgreSQL is judged by its USS").isFalse();
    assertThat(SoakLoad.judged("uss_postgres_mb")).as("PostgreSQL's own memory").isTrue();
    assertThat(SoakLoad.judged("pss_postgres_mb")).as("its shared buffers warming").isFalse();
    assertThat(SoakLoad.processName("postgres: checkpointer ")).isEqualTo("postgres: checkpointer");
    assertThat(SoakLoad.processName("/tmp/pg/bin/postgres -D /tmp/home/postgres -p 5432")).isEqualTo("postgres");
    assertThat(SoakLoad.processName("/tmp/redis/redis-server-6.2.6 127.0.0.1:33157")).as("no port in the name")
        .isEqualTo("redis-server-6.2.6");
  }
}
