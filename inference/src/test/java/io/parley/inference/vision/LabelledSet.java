package io.parley.inference.vision;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The hand-labelled photos of {@code vision/labelled-set.tsv} (its header says how they were
 * labelled) and how a detector's labels on them are scored: per label, hits, misses and false
 * positives, counted without boxes.
 */
public final class LabelledSet {

  /** The COCO food classes, the ones the photo feature is for. */
  public static final List<String> FOOD = List.of("banana", "apple", "sandwich", "orange", "broccoli", "carrot",
      "hot dog", "pizza", "donut", "cake");

  private static final Map<String, Path> ROOTS = Map.of(
      "opencv-doc", Path.of("/usr/share/doc/opencv-doc/examples"),
      "darknet", Photos.DARKNET);

  /** One photo: where it is and what is on it. */
  public record Photo(String pkg, String path, Map<String, Integer> expected, Set<String> tolerated, String notes) {

    /** The file; a missing one fails, naming the package to install. */
    public Path file() {
      Path p = ROOTS.get(pkg).resolve(path);
      if (!Files.isRegularFile(p)) {
        throw new AssertionError(p + " is missing: install the Debian package " + pkg + " (./parley test does)");
      }
      return p;
    }

    public String name() {
      return pkg + ":" + path;
    }
  }

  /** Hits, misses and false positives of one label. */
  public record Tally(int hits, int misses, int falsePositives) {
    static final Tally NONE = new Tally(0, 0, 0);

    Tally plus(Tally o) {
      return new Tally(hits + o.hits, misses + o.misses, falsePositives + o.falsePositives);
    }

    /** hits / (hits + misses); NaN without expected objects. */
    public double recall() {
      return hits + misses == 0 ? Double.NaN : (double) hits / (hits + misses);
    }

    /** hits / (hits + false positives); NaN without detections. */
    public double precision() {
      return hits + falsePositives == 0 ? Double.NaN : (double) hits / (hits + falsePositives);
    }
  }

  private LabelledSet() {}

  /** The photos, in the file's order; a malformed line or a label outside COCO's 80 fails. */
  public static List<Photo> read() throws IOException {
    String text;
    try (InputStream in = LabelledSet.class.getResourceAsStream("/vision/labelled-set.tsv")) {
      if (in == null) {
        throw new AssertionError("vision/labelled-set.tsv is not on the classpath");
      }
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    List<Photo> photos = new ArrayList<>();
    boolean header = true;
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      if (header) { // the column names
        header = false;
        continue;
      }
      String[] f = line.split("\t", -1);
      if (f.length != 5 || !ROOTS.containsKey(f[0])) {
        throw new IllegalStateException("labelled-set.tsv: bad line: " + line);
      }
      Map<String, Integer> expected = new LinkedHashMap<>();
      if (!f[2].equals("-")) {
        for (String item : f[2].split(",")) {
          int colon = item.lastIndexOf(':');
          expected.put(coco(item.substring(0, colon)), Integer.parseInt(item.substring(colon + 1)));
        }
      }
      Set<String> tolerated = f[3].equals("-") ? Set.of()
          : Set.copyOf(Arrays.stream(f[3].split(",")).map(LabelledSet::coco).toList());
      photos.add(new Photo(f[0], f[1], Map.copyOf(expected), tolerated, f[4]));
    }
    return photos;
  }

  private static String coco(String label) {
    if (!NanoDet.COCO.contains(label)) {
      throw new IllegalStateException("labelled-set.tsv: " + label + " is not a COCO class");
    }
    return label;
  }

  /** One photo's tallies per label, for the labels a detector found there ({@code found}, repeats counted). */
  public static Map<String, Tally> score(Photo photo, List<String> found) {
    Map<String, Integer> counts = new HashMap<>();
    found.forEach(l -> counts.merge(l, 1, Integer::sum));
    Map<String, Tally> out = new TreeMap<>();
    for (String label : union(counts.keySet(), photo.expected().keySet())) {
      int want = photo.expected().getOrDefault(label, 0);
      int got = counts.getOrDefault(label, 0);
      int hits = Math.min(want, got);
      int extra = photo.tolerated().contains(label) ? 0 : got - hits;
      out.put(label, new Tally(hits, want - hits, extra));
    }
    return out;
  }

  /** The tallies of several photos summed per label. */
  public static Map<String, Tally> sum(List<Map<String, Tally>> perPhoto) {
    Map<String, Tally> out = new TreeMap<>();
    for (Map<String, Tally> m : perPhoto) {
      m.forEach((label, t) -> out.merge(label, t, Tally::plus));
    }
    return out;
  }

  /** The tallies of {@code labels} summed (labels missing count as nothing). */
  public static Tally total(Map<String, Tally> tallies, java.util.Collection<String> labels) {
    Tally t = Tally.NONE;
    for (String l : labels) {
      t = t.plus(tallies.getOrDefault(l, Tally.NONE));
    }
    return t;
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> u = new java.util.TreeSet<>(a);
    u.addAll(b);
    return u;
  }
}
