package io.parley.api.meals;

import io.micrometer.core.instrument.MeterRegistry;
import io.parley.api.http.Feature;
import io.parley.api.http.RateLimiter.LimitClass;
import io.parley.api.http.RouteSpec;
import io.parley.api.http.RouteSpec.Body;
import io.parley.api.meals.foods.Foods;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.redis.client.RedisAPI;
import java.util.List;

/**
 * Photos, foods and meals: {@code POST /api/v1/vision/analyze}, the food table
 * ({@code /api/v1/foods}) and the meal log. Photo uploads are read
 * into memory within the photo limits; analysing a photo (also by logging a meal with one) counts
 * in the vision rate-limit class.
 */
public final class MealsFeature implements Feature {

  private final Vertx vertx;
  private final VisionServices vision;
  private final RedisAPI redis;
  private final MeterRegistry metrics;
  private final MealStore meals;
  private final Foods foods;

  public MealsFeature(Vertx vertx, VisionServices vision, RedisAPI redis, MeterRegistry metrics, MealStore meals,
                      Foods foods) {
    this.vertx = vertx;
    this.vision = vision;
    this.redis = redis;
    this.metrics = metrics;
    this.meals = meals;
    this.foods = foods;
  }

  @Override
  public void mountContract(RouterBuilder contract) {
    Nutrition nutrition = new Nutrition(foods.labels(), foods.search(), foods.searchLabels());
    new VisionRoutes(vision, redis, metrics, nutrition).mount(contract);
    new MealRoutes(vertx, vision, meals, foods, nutrition).mount(contract);
    new FoodRoutes(foods).mount(contract);
  }

  @Override
  public List<RouteSpec> specs() {
    return List.of(
        RouteSpec.under("/api/v1/vision/", LimitClass.VISION),
        RouteSpec.exact(VisionRoutes.ANALYZE, LimitClass.VISION).reading(Body.PHOTO),
        RouteSpec.exact(MealRoutes.MEALS, LimitClass.API).reading(Body.PHOTO),
        RouteSpec.exact(MealRoutes.MEALS, LimitClass.VISION).on(HttpMethod.POST).reading(Body.PHOTO));
  }
}
