package io.parley.api.meals.foods;

import static io.parley.core.config.ConfigKey.PARLEY_VISION_FOOD_LABELS;
import static io.parley.core.config.ConfigKey.PARLEY_VISION_LABEL_SEARCH;

import io.parley.core.config.ConfigSource;
import java.nio.file.Path;
import java.util.Optional;

/** How detector labels become food: {@code PARLEY_VISION_FOOD_LABELS}, {@code PARLEY_VISION_LABEL_SEARCH}. */
public record FoodOptions(Optional<Path> labelsFile, boolean labelSearch) {

  public static FoodOptions from(ConfigSource c) {
    return new FoodOptions(Optional.ofNullable(c.string(PARLEY_VISION_FOOD_LABELS)).map(Path::of),
        c.bool(PARLEY_VISION_LABEL_SEARCH));
  }
}
