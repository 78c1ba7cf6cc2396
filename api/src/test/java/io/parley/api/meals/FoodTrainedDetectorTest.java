package io.parley.api.meals;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.TestNode;
import io.parley.inference.bench.OnnxExport;
import io.parley.inference.vision.NanoDet;
import io.parley.inference.vision.Photos;
import io.parley.inference.vision.TfjsGraph;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A detector with its own labels, end to end, as an operator sets one up: a YOLO export with its
 * class names file (PARLEY_VISION_YOLO_CLASSES) naming classes the way a food dataset does, a label
 * mapping file (PARLEY_VISION_FOOD_LABELS) for one of them and label search
 * (PARLEY_VISION_LABEL_SEARCH) for another. No food-trained weights can be fetched here, so the
 * export is NanoDet-m's real weights with a YOLO head (as in VisionApiTest) and its class file
 * renames COCO's orange and donut: the label path from detector to meal is exactly an operator's.
 */
class FoodTrainedDetectorTest {

  @Test
  void renamedLabelsBecomeFoodThroughTheMappingFileAndTheSearch(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("food-detector.onnx");
    Files.write(model, OnnxExport.yolo(TfjsGraph.read(TestNode.modelsDir().resolve("nanodet/model.json")), 416,
        OnnxExport.YoloLayout.V8));
    Path classes = dir.resolve("classes.txt");
    Files.write(classes, NanoDet.COCO.stream()
        .map(c -> c.equals("orange") ? "mandarin_orange" : c.equals("donut") ? "glazed_doughnuts" : c).toList());
    Path labels = dir.resolve("labels.tsv");
    Files.writeString(labels, "label\tndb\tportion\tplate_share\nmandarin_orange\t09218\tmedium\t0.08\n");
    try (TestNode node = TestNode.start(Map.of(
        "PARLEY_VISION_ENABLED", "true",
        "PARLEY_VISION_MODEL", "yolo",
        "PARLEY_VISION_YOLO_FILE", model.toString(),
        "PARLEY_VISION_YOLO_SIZE", "416",
        "PARLEY_VISION_YOLO_CLASSES", classes.toString(),
        "PARLEY_VISION_FOOD_LABELS", labels.toString(),
        "PARLEY_VISION_LABEL_SEARCH", "true",
        "PARLEY_VISION_SCORE_THRESHOLD", "0.2",
        "PARLEY_RATE_LIMIT_VISION_PER_MINUTE", "100000"))) {
      String token = node.api().newUser().getString("access_token");
      Api.Res r = io.parley.api.support.Multipart.post(node.baseUrl() + "/api/v1/vision/analyze", token, "image",
          Files.readAllBytes(Photos.opencv("fruits.jpg")), "fruits.jpg", Map.of("task", "meal"));
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      JsonArray items = r.json().getJsonObject("meal").getJsonArray("items");
      List<String> seen = items.stream().map(i -> ((JsonObject) i).getString("label")).distinct().toList();
      assertThat(seen).as("the detector's own labels, each as food").contains("mandarin_orange", "glazed_doughnuts");
      for (Object o : items) {
        JsonObject item = (JsonObject) o;
        String ndb = item.getJsonObject("food").getString("ndb");
        switch (item.getString("label")) {
          case "mandarin_orange" -> assertThat(ndb).as("from the mapping file").isEqualTo("09218");
          case "glazed_doughnuts" -> assertThat(ndb).as("found by the search").isEqualTo("18250");
          default -> assertThat(item.getString("label")).as("only food labels become items (not the cup)")
              .isIn("apple", "banana", "broccoli", "carrot", "sandwich", "hot dog", "pizza", "cake");
        }
        assertThat(item.getJsonObject("nutrients").getDouble("kcal")).isPositive();
      }
    }
  }
}
