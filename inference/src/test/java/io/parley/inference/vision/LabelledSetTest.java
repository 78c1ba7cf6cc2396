package io.parley.inference.vision;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The labelled photo set reads whole (every photo on disk, every label COCO's) and scores as its header says. */
class LabelledSetTest {

  @Test
  void everyPhotoIsThereAndTheFoodPhotosToo() throws Exception {
    List<LabelledSet.Photo> photos = LabelledSet.read();
    assertThat(photos).hasSizeGreaterThan(40);
    assertThat(photos).extracting(LabelledSet.Photo::name).doesNotHaveDuplicates();
    for (LabelledSet.Photo p : photos) {
      assertThat(p.file()).isRegularFile();
      assertThat(p.notes()).as(p.name()).isNotBlank();
      assertThat(p.expected().values()).as(p.name()).allMatch(n -> n > 0);
    }
    LabelledSet.Photo fruits = photos.stream().filter(p -> p.path().equals("data/fruits.jpg")).findFirst().orElseThrow();
    assertThat(fruits.expected()).containsEntry("orange", 2).containsEntry("banana", 1);
    assertThat(photos.stream().filter(p -> p.expected().isEmpty()).count()).as("photos without objects").isGreaterThan(15);
  }

  @Test
  void hitsMissesAndFalsePositivesAreCountedWithoutBoxes() {
    LabelledSet.Photo photo = new LabelledSet.Photo("darknet", "x.jpg", Map.of("orange", 2, "banana", 1),
        java.util.Set.of("apple", "orange"), "test");
    Map<String, LabelledSet.Tally> t = LabelledSet.score(photo,
        List.of("orange", "orange", "orange", "apple", "cake", "cake"));
    // Three oranges for two: the third is tolerated; the banana missed; apple tolerated; two cakes wrong.
    assertThat(t.get("orange")).isEqualTo(new LabelledSet.Tally(2, 0, 0));
    assertThat(t.get("banana")).isEqualTo(new LabelledSet.Tally(0, 1, 0));
    assertThat(t.get("apple")).isEqualTo(new LabelledSet.Tally(0, 0, 0));
    assertThat(t.get("cake")).isEqualTo(new LabelledSet.Tally(0, 0, 2));
    LabelledSet.Tally food = LabelledSet.total(t, LabelledSet.FOOD);
    assertThat(food).isEqualTo(new LabelledSet.Tally(2, 1, 2));
    assertThat(food.recall()).isEqualTo(2 / 3.0);
    assertThat(food.precision()).isEqualTo(0.5);
  }
}
