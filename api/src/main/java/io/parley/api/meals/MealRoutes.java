package io.parley.api.meals;

import io.parley.api.meals.foods.FoodText;
import io.parley.api.meals.foods.Foods;
import io.parley.api.meals.foods.MealItems;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.parley.api.http.Responses;
import io.parley.api.http.MemoryUploads;
import io.parley.api.http.Authenticator;
import io.parley.api.http.ApiProblem;

/**
 * The meal log: {@code POST /api/v1/meals} with a multipart photo (detection -> food items with
 * portions and nutrients -> stored), or with JSON: {@code {text}} (read by {@link FoodText}; parts it
 * cannot read come back as {@code unresolved}, not guessed) or {@code {items: [{ndb, grams | portion,
 * quantity}]}}; {@code PATCH /api/v1/meals/{id}} replaces a meal's items (a correction: totals and
 * daily sums follow); {@code GET /api/v1/meals?from=&to=} (with daily totals),
 * {@code GET /api/v1/meals/{id}}, {@code GET /api/v1/meals/{id}/image} (only while kept) and
 * {@code DELETE /api/v1/meals/{id}}. Only the owner sees a meal; others get 404.
 */
public final class MealRoutes {

  private static final Logger LOG = LoggerFactory.getLogger(MealRoutes.class);

  public static final String MEALS = "/api/v1/meals";
  /** The longest range one list covers. */
  static final Duration MAX_RANGE = Duration.ofDays(366);
  /** How far ahead a meal may be logged (clocks differ). */
  static final Duration MAX_FUTURE = Duration.ofDays(1);
  /** How often photos past their retention are dropped. */
  static final Duration PURGE_EVERY = Duration.ofMinutes(10);

  private final VisionServices vision;
  private final MealStore meals;
  private final Foods foods;
  private final Nutrition nutrition;

  public MealRoutes(Vertx vertx, VisionServices vision, MealStore meals, Foods foods, Nutrition nutrition) {
    this.vision = vision;
    this.meals = meals;
    this.foods = foods;
    this.nutrition = nutrition;
    vertx.setPeriodic(PURGE_EVERY.toMillis(), PURGE_EVERY.toMillis(), id -> meals.purgeExpiredPhotos()
        .onSuccess(n -> {
          if (n > 0) {
            LOG.info("meals: {} photo(s) past their retention deleted", n);
          }
        }).onFailure(e -> LOG.warn("meals: photo purge failed: {}", e.toString())));
  }

  public void mount(RouterBuilder b) {
    b.getRoute("createMeal").addHandler(this::create);
    b.getRoute("correctMeal").addHandler(this::correct);
    b.getRoute("listMeals").addHandler(this::list);
    b.getRoute("getMeal").addHandler(this::get);
    b.getRoute("getMealImage").addHandler(this::image);
    b.getRoute("deleteMeal").addHandler(this::delete);
  }

  private static UUID mealId(RoutingContext ctx) {
    try {
      return UUID.fromString(ctx.pathParam("mealId"));
    } catch (IllegalArgumentException e) {
      throw new ParleyException(Reason.NOT_FOUND, "no such meal");
    }
  }

  private void create(RoutingContext ctx) {
    String type = java.util.Objects.requireNonNullElse(ctx.request().getHeader("Content-Type"), "");
    if (!type.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/")) {
      createFromJson(ctx);
      return;
    }
    Responses.guarded(ctx, () -> {
      UUID user = Authenticator.userId(ctx);
      var upload = MemoryUploads.part(ctx, "image")
          .orElseThrow(() -> ApiProblem.field("/image", "required", "a multipart field 'image' with a photo is required"));
      String store = java.util.Objects.requireNonNullElse(ctx.request().getFormAttribute("store_image"), "false");
      if (!store.equals("true") && !store.equals("false")) {
        throw ApiProblem.field("/store_image", "enum", "store_image must be true or false");
      }
      String task = ctx.request().getFormAttribute("task");
      if (task != null && !task.equals("meal")) {
        // A meal photo is always analysed as a meal; another task is a mistake, not a photo without food.
        throw ApiProblem.field("/task", "enum", "a meal photo is analysed as task 'meal' (or leave task out), not '"
            + (task.length() > 40 ? task.substring(0, 40) + "..." : task) + "'");
      }
      Instant loggedAt = loggedAt(ctx.request().getFormAttribute("logged_at")).orElse(Instant.now());
      if (upload.data().length() > vision.config().maxPhotoBytes()) {
        throw new ApiProblem(413, "image_too_large", "the image is " + upload.data().length() + " bytes; at most "
            + vision.config().maxPhotoBytes() + " (PARLEY_PHOTO_MAX_BYTES)", null);
      }
      Instant when = loggedAt;
      boolean keep = store.equals("true");
      Buffer data = upload.data();
      // The copy out of the upload buffer (up to PARLEY_PHOTO_MAX_BYTES) on a worker, as the analyze route does.
      vision.decoders().executeBlocking(data::getBytes, false).compose(bytes -> vision.analyze(bytes, ctx.response()::closed)
          .compose(a -> {
        JsonObject estimate = nutrition.estimate(a.objects(), a.decoded().width(), a.decoded().height());
        if (estimate.getJsonArray("items").isEmpty()) {
          throw new ApiProblem(422, "no_food_detected", "no food was recognised in the photo (seen: "
              + (a.objects().isEmpty() ? "nothing" : String.join(", ", a.objects().stream().map(o -> o.label())
              .distinct().toList())) + "); nothing was logged", null);
        }
        MealStore.Photo photo = keep ? new MealStore.Photo(bytes, mime(a.decoded().format())) : null;
        String model = vision.detector().map(d -> d.model() + " " + d.modelVersion()).orElse(null);
        return meals.create(user, when, MealStore.Source.PHOTO, null, estimate.getJsonArray("items"), model, photo,
                Instant.now().plus(vision.config().imageRetention()))
            .map(m -> m.put("reference", estimate.getString("reference"))
                .put("nutrition_source", nutrition.source()));
      })).onComplete(ar -> created(ctx, ar));
    });
  }

  private static void created(RoutingContext ctx, io.vertx.core.AsyncResult<JsonObject> ar) {
    if (ctx.response().closed()) {
      return; // nobody to answer
    }
    if (ar.failed()) {
      ctx.fail(ar.cause());
      return;
    }
    ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json")
        .putHeader("Location", MEALS + "/" + ar.result().getString("id")).end(ar.result().toBuffer());
  }

  /** {@code {text}} or {@code {items}}, with an optional {@code logged_at}. */
  private void createFromJson(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      UUID user = Authenticator.userId(ctx);
      JsonObject body = FoodRoutes.body(ctx);
      Instant when = loggedAt(body.getValue("logged_at")).orElse(Instant.now());
      boolean hasText = body.containsKey("text");
      if (hasText == body.containsKey("items")) {
        throw ApiProblem.field("/text", "oneOf", "give text (what was eaten, in words) or items (a list of foods), one"
            + " of them (a photo is a multipart upload)");
      }
      if (hasText) {
        String text = FoodRoutes.text(body);
        FoodText.Reading reading = foods.text().read(text);
        JsonArray unresolved = MealItems.unresolved(reading.unresolved());
        if (reading.items().isEmpty()) {
          throw new ApiProblem(422, "no_food_resolved", "no food in the text could be read; nothing was logged",
              new JsonArray(unresolved.stream().map(u -> ((JsonObject) u).copy().put("field", "/text")
                  .put("problem", ((JsonObject) u).getString("reason"))).toList()));
        }
        JsonArray items = new JsonArray();
        reading.items().forEach(i -> items.add(MealItems.item(i)));
        meals.create(user, when, MealStore.Source.TEXT, text, items, null, null, null)
            .map(m -> m.put("unresolved", unresolved).put("nutrition_source", nutrition.source()))
            .onComplete(ar -> created(ctx, ar));
        return;
      }
      JsonArray items = listedItems(body);
      meals.create(user, when, MealStore.Source.ITEMS, null, items, null, null, null)
          .map(m -> m.put("nutrition_source", nutrition.source())).onComplete(ar -> created(ctx, ar));
    });
  }

  /** {@code PATCH /api/v1/meals/{id}}: {@code {items}} replaces the meal's items; {@code logged_at} moves it. */
  private void correct(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      UUID user = Authenticator.userId(ctx);
      UUID id = mealId(ctx);
      JsonObject body = FoodRoutes.body(ctx);
      JsonArray items = listedItems(body);
      Optional<Instant> when = loggedAt(body.getValue("logged_at"));
      Responses.json(ctx, 200, meals.replaceItems(user, id, items, when)
          .map(m -> m.orElseThrow(() -> new ParleyException(Reason.NOT_FOUND, "no such meal"))));
    });
  }

  /** The body's {@code items}: 1 to {@link MealItems#MAX_ITEMS} listed foods. */
  private JsonArray listedItems(JsonObject body) {
    Object v = body.getValue("items");
    if (!(v instanceof JsonArray list) || list.isEmpty()) {
      throw ApiProblem.field("/items", "required", "items must be a non-empty list like [{\"ndb\": \"09040\","
          + " \"portion\": \"medium\", \"quantity\": 1}] (to remove every item, delete the meal)");
    }
    if (list.size() > MealItems.MAX_ITEMS) {
      throw ApiProblem.field("/items", "maxItems", "at most " + MealItems.MAX_ITEMS + " items in one meal");
    }
    JsonArray items = new JsonArray();
    for (int i = 0; i < list.size(); i++) {
      items.add(MealItems.fromRequest(foods.table(), list.getValue(i), "/items/" + i));
    }
    return items;
  }

  /** A meal's time from a form field or a JSON value: an ISO-8601 instant, at most a day ahead. */
  private static Optional<Instant> loggedAt(Object value) {
    if (value == null || (value instanceof String s && s.isBlank())) {
      return Optional.empty();
    }
    Instant at;
    try {
      at = Instant.parse(String.valueOf(value));
    } catch (DateTimeParseException e) {
      throw ApiProblem.field("/logged_at", "format", "logged_at must be an ISO-8601 instant like 2026-11-22T12:30:00Z");
    }
    if (at.isAfter(Instant.now().plus(MAX_FUTURE))) {
      throw ApiProblem.field("/logged_at", "maximum", "logged_at is more than a day in the future");
    }
    return Optional.of(at);
  }

  private static String mime(ImageInput.Format f) {
    return switch (f) {
      case JPEG -> "image/jpeg";
      case PNG -> "image/png";
      case WEBP -> "image/webp";
    };
  }

  /** {@code from} / {@code to}: ISO dates (whole UTC days, {@code to} inclusive) or instants; default the last 7 days. */
  private void list(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      UUID user = Authenticator.userId(ctx);
      Instant to = bound(ctx.queryParams().get("to"), true).orElse(Instant.now().plusSeconds(1));
      Instant from = bound(ctx.queryParams().get("from"), false).orElse(to.minus(Duration.ofDays(7)));
      if (!from.isBefore(to)) {
        throw ApiProblem.field("/from", "range", "from must be before to");
      }
      if (Duration.between(from, to).compareTo(MAX_RANGE) > 0) {
        throw ApiProblem.field("/from", "range", "at most " + MAX_RANGE.toDays() + " days at once");
      }
      Responses.json(ctx, 200, meals.list(user, from, to));
    });
  }

  private static Optional<Instant> bound(String v, boolean end) {
    if (v == null || v.isBlank()) {
      return Optional.empty();
    }
    try {
      if (v.length() == 10) {
        LocalDate d = LocalDate.parse(v);
        return Optional.of((end ? d.plusDays(1) : d).atStartOfDay(ZoneOffset.UTC).toInstant());
      }
      return Optional.of(Instant.parse(v));
    } catch (DateTimeParseException e) {
      throw ApiProblem.field(end ? "/to" : "/from", "format", "a date like 2026-11-22 or an instant like 2026-11-22T12:00:00Z");
    }
  }

  private void get(RoutingContext ctx) {
    Responses.guarded(ctx, () -> Responses.json(ctx, 200, meals.get(Authenticator.userId(ctx), mealId(ctx))
        .map(m -> m.orElseThrow(() -> new ParleyException(Reason.NOT_FOUND, "no such meal")))));
  }

  private void image(RoutingContext ctx) {
    Responses.guarded(ctx, () -> meals.photo(Authenticator.userId(ctx), mealId(ctx)).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      if (ar.result().isEmpty()) {
        ctx.fail(new ParleyException(Reason.NOT_FOUND, "no photo kept for this meal (store_image was false, or its"
            + " retention ended)"));
        return;
      }
      MealStore.Photo p = ar.result().get();
      ctx.response().putHeader("Content-Type", p.type()).putHeader("Cache-Control", "private, max-age=3600")
          .end(io.vertx.core.buffer.Buffer.buffer(p.bytes()));
    }));
  }

  private void delete(RoutingContext ctx) {
    Responses.guarded(ctx, () -> Responses.noContent(ctx, meals.delete(Authenticator.userId(ctx), mealId(ctx))
        .map(found -> {
          if (!found) {
            throw new ParleyException(Reason.NOT_FOUND, "no such meal");
          }
          return null;
        })));
  }
}
