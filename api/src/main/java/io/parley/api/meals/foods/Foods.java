package io.parley.api.meals.foods;

/**
 * The food side of the meal log, built once at start: the table, its search, the text reader and
 * the detector label mapping. Loading reads the shipped table (about 1 MB) and indexes it: blocking,
 * done by the composition root before the node listens.
 */
public record Foods(FoodTable table, FoodSearch search, FoodText text, FoodLabels labels, boolean searchLabels) {

  public static Foods load(FoodOptions options) {
    FoodTable table = FoodTable.load();
    FoodSearch search = new FoodSearch(table);
    FoodLabels labels = options.labelsFile().map(f -> FoodLabels.file(table, f)).orElseGet(() -> FoodLabels.shipped(table));
    return new Foods(table, search, new FoodText(search), labels, options.labelSearch());
  }
}
