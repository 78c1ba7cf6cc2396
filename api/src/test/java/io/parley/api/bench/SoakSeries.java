package io.parley.api.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import javax.imageio.ImageIO;

/**
 * The per-minute samples of a soak run, by column (a resource, a rate, an error count): written as
 * CSV, judged by the least-squares slope of each resource over the run's last part, and drawn as a
 * PNG with one panel per group of columns. Pure: no I/O but the files it is asked to write.
 */
final class SoakSeries {

  /** Largest growth allowed: percent of the level per 10 minutes. */
  static final double SLOPE_GOAL_PCT = 1.0;

  /** Minutes judged at most (the "last 20 minutes"); a shorter run judges its last two thirds. */
  static final double WINDOW_MINUTES = 20;

  /** One column's least-squares fit over the judged window: slope per minute, mean level, points. */
  record Trend(String column, double slopePerMinute, double level, int points) {
    /** The slope as percent of the level per 10 minutes (0 for a zero level). */
    double pctPer10Minutes() {
      return level == 0 ? 0 : slopePerMinute * 10 / level * 100;
    }

    boolean flat() {
      return pctPer10Minutes() < SLOPE_GOAL_PCT;
    }
  }

  /** A plot panel: a title and the columns drawn in it (one line each). */
  record Panel(String title, List<String> columns) {}

  private final Map<String, TreeMap<Double, Double>> columns = new LinkedHashMap<>();

  /** Records {@code values} (column to value) at {@code minute}; new columns join at the end. */
  void add(double minute, Map<String, Double> values) {
    values.forEach((k, v) -> columns.computeIfAbsent(k, c -> new TreeMap<>()).put(minute, v));
  }

  List<String> columns() {
    return List.copyOf(columns.keySet());
  }

  /** The (minute, value) points of {@code column}, in time order. */
  NavigableMap<Double, Double> points(String column) {
    return columns.getOrDefault(column, new TreeMap<>());
  }

  /** The minute of the last sample (0 with none). */
  double lastMinute() {
    return columns.values().stream().filter(m -> !m.isEmpty()).mapToDouble(TreeMap::lastKey).max().orElse(0);
  }

  /** Where the judged window starts: the last 20 minutes, or the last two thirds of a shorter run. */
  double windowStart() {
    double last = lastMinute();
    return last - Math.min(WINDOW_MINUTES, last * 2 / 3);
  }

  /** {@code column}'s fit over the points at or after {@code fromMinute}. */
  Trend trend(String column, double fromMinute) {
    List<double[]> xy = new ArrayList<>();
    points(column).tailMap(fromMinute, true).forEach((x, y) -> xy.add(new double[] {x, y}));
    return new Trend(column, slope(xy), xy.stream().mapToDouble(p -> p[1]).average().orElse(0), xy.size());
  }

  /** Least-squares slope of y over x (0 with fewer than two distinct x). */
  static double slope(List<double[]> xy) {
    int n = xy.size();
    if (n < 2) {
      return 0;
    }
    double mx = xy.stream().mapToDouble(p -> p[0]).average().orElse(0);
    double my = xy.stream().mapToDouble(p -> p[1]).average().orElse(0);
    double sxy = 0;
    double sxx = 0;
    for (double[] p : xy) {
      sxy += (p[0] - mx) * (p[1] - my);
      sxx += (p[0] - mx) * (p[0] - mx);
    }
    return sxx == 0 ? 0 : sxy / sxx;
  }

  /**
   * The value below which fraction {@code q} of observations fall, from cumulative histogram
   * counts by upper bound (Prometheus {@code le}; +Inf as {@link Double#POSITIVE_INFINITY}),
   * interpolated linearly inside the bucket as Prometheus' histogram_quantile does. NaN without
   * observations; the highest finite bound when the quantile falls in +Inf.
   */
  static double quantile(NavigableMap<Double, Double> cumulative, double q) {
    if (cumulative.isEmpty() || cumulative.lastEntry().getValue() <= 0) {
      return Double.NaN;
    }
    double rank = q * cumulative.lastEntry().getValue();
    double lowerBound = 0;
    double lowerCount = 0;
    for (Map.Entry<Double, Double> b : cumulative.entrySet()) {
      if (b.getValue() >= rank) {
        if (b.getKey().isInfinite()) {
          return lowerBound;
        }
        double inBucket = b.getValue() - lowerCount;
        return inBucket <= 0 ? b.getKey() : lowerBound + (b.getKey() - lowerBound) * (rank - lowerCount) / inBucket;
      }
      lowerBound = b.getKey();
      lowerCount = b.getValue();
    }
    return lowerBound;
  }

  /** Bucket counts of {@code now} minus those of {@code before} (both cumulative by upper bound). */
  static NavigableMap<Double, Double> delta(NavigableMap<Double, Double> now, NavigableMap<Double, Double> before) {
    NavigableMap<Double, Double> d = new TreeMap<>();
    now.forEach((le, c) -> d.put(le, c - before.getOrDefault(le, 0.0)));
    return d;
  }

  /** Writes the samples as CSV: a {@code minute} column, then every column; blank where absent. */
  void writeCsv(Path file) throws IOException {
    TreeMap<Double, Map<String, Double>> rows = new TreeMap<>();
    columns.forEach((c, pts) -> pts.forEach((m, v) -> rows.computeIfAbsent(m, k -> new LinkedHashMap<>()).put(c, v)));
    StringBuilder out = new StringBuilder("minute");
    for (String c : columns.keySet()) {
      out.append(',').append(csvField(c));
    }
    out.append('\n');
    rows.forEach((minute, values) -> {
      out.append(number(minute));
      for (String c : columns.keySet()) {
        Double v = values.get(c);
        out.append(',').append(v == null ? "" : number(v));
      }
      out.append('\n');
    });
    Files.writeString(file, out);
  }

  /** Reads what {@link #writeCsv} wrote. */
  static SoakSeries readCsv(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file);
    List<String> header = splitCsv(lines.getFirst());
    SoakSeries s = new SoakSeries();
    for (String line : lines.subList(1, lines.size())) {
      List<String> f = splitCsv(line);
      Map<String, Double> values = new LinkedHashMap<>();
      for (int i = 1; i < header.size(); i++) {
        if (i < f.size() && !f.get(i).isEmpty()) {
          values.put(header.get(i), Double.parseDouble(f.get(i)));
        }
      }
      s.add(Double.parseDouble(f.getFirst()), values);
    }
    return s;
  }

  private static String csvField(String s) {
    return s.contains(",") || s.contains("\"") ? '"' + s.replace("\"", "\"\"") + '"' : s;
  }

  private static List<String> splitCsv(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder f = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char ch = line.charAt(i);
      if (quoted && ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
        f.append('"');
        i++;
      } else if (ch == '"') {
        quoted = !quoted;
      } else if (ch == ',' && !quoted) {
        out.add(f.toString());
        f.setLength(0);
      } else {
        f.append(ch);
      }
    }
    out.add(f.toString());
    return out;
  }

  private static String number(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.3f", v);
  }

  // --- the plot ----------------------------------------------------------------------------------

  private static final int PANEL_W = 600;
  private static final int PANEL_H = 270;
  private static final Color[] LINES = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
      new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};

  /**
   * Draws {@code panels} two per row into a PNG at {@code file}: each column a line over minutes,
   * the judged window shaded, the window's least-squares fit dashed, its slope in the legend.
   */
  void writePng(Path file, String title, List<Panel> panels) throws IOException {
    int rows = (panels.size() + 1) / 2;
    BufferedImage img = new BufferedImage(2 * PANEL_W, 40 + rows * PANEL_H, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, img.getWidth(), img.getHeight());
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
      g.drawString(title, 12, 26);
      for (int i = 0; i < panels.size(); i++) {
        drawPanel(g, panels.get(i), (i % 2) * PANEL_W, 40 + (i / 2) * PANEL_H);
      }
    } finally {
      g.dispose();
    }
    ImageIO.write(img, "png", file.toFile());
  }

  private void drawPanel(Graphics2D g, Panel panel, int x0, int y0) {
    int left = x0 + 70;
    int right = x0 + PANEL_W - 15;
    int top = y0 + 28;
    int bottom = y0 + PANEL_H - 80;
    double maxX = Math.max(1, lastMinute());
    double lo = Double.MAX_VALUE;
    double hi = -Double.MAX_VALUE;
    for (String c : panel.columns()) {
      for (double v : points(c).values()) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    if (lo > hi) {
      lo = 0;
      hi = 1;
    }
    if (hi - lo < 1e-9) {
      hi = lo + 1;
    }
    // From zero when the values are near it; otherwise around them with a margin, so a slope shows.
    if (lo >= 0 && lo < (hi - lo)) {
      lo = 0;
    }
    double pad = Math.max((hi - lo) * 0.1, Math.max(Math.abs(hi) * 0.01, 1e-9));
    hi += pad;
    lo = lo == 0 ? 0 : lo - pad;
    double yLo = lo;
    double yHi = hi;
    java.util.function.DoubleUnaryOperator px = m -> left + (right - left) * m / maxX;
    java.util.function.DoubleUnaryOperator py = v -> bottom - (bottom - top) * (v - yLo) / (yHi - yLo);

    g.setColor(new Color(0xf2f2f2));
    int ws = (int) px.applyAsDouble(windowStart());
    g.fillRect(ws, top, right - ws, bottom - top);
    g.setColor(Color.BLACK);
    g.setStroke(new BasicStroke(1f));
    g.drawRect(left, top, right - left, bottom - top);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
    g.drawString(panel.title(), left, y0 + 18);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    for (int t = 0; t <= 4; t++) {
      double v = yLo + (yHi - yLo) * t / 4;
      int y = (int) py.applyAsDouble(v);
      g.setColor(new Color(0xdddddd));
      g.drawLine(left, y, right, y);
      g.setColor(Color.DARK_GRAY);
      String label = axisLabel(v);
      g.drawString(label, left - 6 - g.getFontMetrics().stringWidth(label), y + 4);
    }
    int step = maxX <= 10 ? 1 : maxX <= 40 ? 5 : 10;
    for (int m = 0; m <= maxX; m += step) {
      int x = (int) px.applyAsDouble(m);
      g.drawLine(x, bottom, x, bottom + 4);
      g.drawString(Integer.toString(m), x - 4, bottom + 16);
    }
    g.drawString("minute", right - 40, bottom + 30);

    int legendX = left;
    int legendY = bottom + 42;
    for (int i = 0; i < panel.columns().size(); i++) {
      String c = panel.columns().get(i);
      Color color = LINES[i % LINES.length];
      g.setColor(color);
      g.setStroke(new BasicStroke(1.8f));
      Map.Entry<Double, Double> prev = null;
      for (Map.Entry<Double, Double> p : points(c).entrySet()) {
        int x = (int) px.applyAsDouble(p.getKey());
        int y = (int) py.applyAsDouble(p.getValue());
        g.fillOval(x - 2, y - 2, 5, 5);
        if (prev != null) {
          g.drawLine((int) px.applyAsDouble(prev.getKey()), (int) py.applyAsDouble(prev.getValue()), x, y);
        }
        prev = p;
      }
      Trend t = trend(c, windowStart());
      if (t.points() >= 2) {
        double from = windowStart();
        double to = lastMinute();
        double mid = points(c).tailMap(from, true).keySet().stream().mapToDouble(Double::doubleValue).average()
            .orElse(from);
        g.setStroke(new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
        g.setColor(Color.BLACK);
        g.drawLine((int) px.applyAsDouble(from), (int) py.applyAsDouble(t.level() + t.slopePerMinute() * (from - mid)),
            (int) px.applyAsDouble(to), (int) py.applyAsDouble(t.level() + t.slopePerMinute() * (to - mid)));
      }
      g.setColor(color);
      String legend = c + (t.points() >= 2 ? String.format(Locale.ROOT, " (%+.2f%%/10 min)", t.pctPer10Minutes()) : "");
      int width = g.getFontMetrics().stringWidth(legend);
      if (legendX + width > right && legendX > left) {
        legendX = left;
        legendY += 14;
      }
      // Every line is drawn; a legend with no room left is not (the CSV names every column).
      if (legendY <= y0 + PANEL_H - 4) {
        g.drawString(legend, legendX, legendY);
      }
      legendX += width + 14;
    }
  }

  private static String axisLabel(double v) {
    double a = Math.abs(v);
    return a >= 100 || v == 0 ? String.format(Locale.ROOT, "%.0f", v)
        : a >= 1 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.3f", v);
  }
}
