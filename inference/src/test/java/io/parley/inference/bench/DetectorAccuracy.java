package io.parley.inference.bench;

import io.parley.core.config.ConfigKey;
import io.parley.inference.support.Tools;
import io.parley.inference.vision.Detection;
import io.parley.inference.vision.Detections;
import io.parley.inference.vision.GraphDetector;
import io.parley.inference.vision.GraphModel;
import io.parley.inference.vision.LabelledSet;
import io.parley.inference.vision.Photos;
import io.parley.inference.vision.RgbImage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The bundled detectors side by side on the hand-labelled photos ({@link LabelledSet}) at the API's
 * score and IoU thresholds (their defaults, {@code PARLEY_VISION_SCORE_THRESHOLD} and
 * {@code PARLEY_VISION_IOU_THRESHOLD}, unless given): per label hits, misses and false positives,
 * and milliseconds per photo. Each detector runs as a node's default worker does (one worker, one
 * intra-op thread, compiled, CPU), on photos already decoded; the time is from {@code detect} to its
 * answer (letterbox, pass, decoding). The detectors take turns photo by photo (the order swapped
 * every round) so that both see the same moments of a shared machine; after one untimed round,
 * {@code rounds} timed ones, and the median of the rounds' means. The labels must come out the
 * same every round. Prints each photo's labels to stderr and one JSON line to stdout.
 *
 * <pre>
 * java ... DetectorAccuracy ROUNDS [SCORE_THRESHOLD]
 * </pre>
 */
public final class DetectorAccuracy {

  private DetectorAccuracy() {}

  static final List<GraphModel> MODELS = List.of(GraphModel.NANODET, GraphModel.CENTERNET);

  public static void main(String[] args) throws Exception {
    int exit = 0;
    try {
      int rounds = Integer.parseInt(args[0]);
      float score = Float.parseFloat(args.length > 1 ? args[1] : ConfigKey.PARLEY_VISION_SCORE_THRESHOLD.defaultValue());
      float iou = Float.parseFloat(ConfigKey.PARLEY_VISION_IOU_THRESHOLD.defaultValue());
      System.out.println(run(rounds, score, iou).encode());
    } catch (Exception | AssertionError e) {
      e.printStackTrace();
      exit = 1;
    }
    System.exit(exit);
  }

  static JsonObject run(int rounds, float score, float iou) throws Exception {
    if (org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root) {
      root.setLevel(ch.qos.logback.classic.Level.WARN);
    }
    List<LabelledSet.Photo> photos = LabelledSet.read();
    List<RgbImage> images = new ArrayList<>();
    for (LabelledSet.Photo p : photos) {
      images.add(Photos.rgb(p.file()));
    }
    Map<GraphModel, GraphDetector> detectors = new LinkedHashMap<>();
    try {
      for (GraphModel m : MODELS) {
        detectors.put(m, GraphDetector.open(m, new GraphDetector.Settings(Tools.modelsDir().resolve(m.directory()), 1, 1,
            Duration.ZERO, 1, score, iou, "cpu")));
      }
      Map<GraphModel, List<List<String>>> labels = new LinkedHashMap<>();
      Map<GraphModel, double[]> meanMs = new LinkedHashMap<>();
      MODELS.forEach(m -> meanMs.put(m, new double[rounds]));
      for (int r = -1; r < rounds; r++) {
        List<GraphModel> order = new ArrayList<>(MODELS);
        if (r % 2 != 0) {
          java.util.Collections.reverse(order);
        }
        Map<GraphModel, List<List<String>>> found = new LinkedHashMap<>();
        for (int i = 0; i < images.size(); i++) {
          for (GraphModel m : order) {
            long t0 = System.nanoTime();
            Detections d = detectors.get(m).detect(images.get(i)).toCompletionStage().toCompletableFuture()
                .get(120, TimeUnit.SECONDS);
            double ms = (System.nanoTime() - t0) / 1e6;
            if (r >= 0) {
              meanMs.get(m)[r] += ms / images.size();
            }
            found.computeIfAbsent(m, k -> new ArrayList<>()).add(d.objects().stream().map(Detection::label).toList());
          }
        }
        if (r < 0) {
          labels.putAll(found);
        } else if (!found.equals(labels)) {
          throw new AssertionError("round " + r + " found other labels than the first");
        }
        int round = r;
        System.err.printf(Locale.ROOT, "round %d: ms per photo %s%n", r, r < 0 ? "(untimed)"
            : MODELS.stream().map(m -> String.format(Locale.ROOT, "%s %.1f", m.modelName(), meanMs.get(m)[round])).toList());
      }
      JsonObject out = new JsonObject().put("bench", "vision-accuracy").put("score_threshold", score)
          .put("iou_threshold", iou).put("photos", photos.size()).put("rounds", rounds);
      JsonObject models = new JsonObject();
      for (GraphModel m : MODELS) {
        List<Map<String, LabelledSet.Tally>> perPhoto = new ArrayList<>();
        int foodPhotos = 0;
        int foodPhotosFound = 0;
        int otherPhotosWithFood = 0;
        for (int i = 0; i < photos.size(); i++) {
          LabelledSet.Photo p = photos.get(i);
          List<String> got = labels.get(m).get(i);
          perPhoto.add(LabelledSet.score(p, got));
          boolean wantsFood = p.expected().keySet().stream().anyMatch(LabelledSet.FOOD::contains);
          List<String> foodFound = got.stream().filter(LabelledSet.FOOD::contains).toList();
          if (wantsFood) {
            foodPhotos++;
            foodPhotosFound += foodFound.stream().anyMatch(p.expected()::containsKey) ? 1 : 0;
          } else if (foodFound.stream().anyMatch(l -> !p.tolerated().contains(l))) {
            otherPhotosWithFood++;
          }
          System.err.printf(Locale.ROOT, "%-14s %-40s %s%n", m.modelName().substring(0, Math.min(14,
              m.modelName().length())), p.name(), got);
        }
        Map<String, LabelledSet.Tally> sum = LabelledSet.sum(perPhoto);
        JsonObject perLabel = new JsonObject();
        sum.forEach((label, t) -> perLabel.put(label, tally(t)));
        double[] ms = meanMs.get(m).clone();
        Arrays.sort(ms);
        models.put(m.modelName(), new JsonObject()
            .put("ms_per_photo", Math.round(median(ms) * 10) / 10.0)
            .put("ms_rounds", new JsonArray(Arrays.stream(meanMs.get(m)).mapToObj(v -> Math.round(v * 10) / 10.0).toList()))
            .put("food", tally(LabelledSet.total(sum, LabelledSet.FOOD)))
            .put("all", tally(LabelledSet.total(sum, sum.keySet())))
            .put("food_photos", foodPhotos).put("food_photos_with_their_food", foodPhotosFound)
            .put("other_photos_with_food", otherPhotosWithFood)
            .put("labels", perLabel));
      }
      return out.put("models", models);
    } finally {
      detectors.values().forEach(GraphDetector::close);
    }
  }

  private static JsonObject tally(LabelledSet.Tally t) {
    return new JsonObject().put("hits", t.hits()).put("misses", t.misses()).put("false_positives", t.falsePositives());
  }

  private static double median(double[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
