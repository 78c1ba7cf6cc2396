package io.parley.api.meals;

import io.parley.api.http.ApiProblem;
import io.parley.api.http.Authenticator;
import io.parley.api.http.Responses;
import io.parley.api.meals.foods.FoodSearch;
import io.parley.api.meals.foods.FoodText;
import io.parley.api.meals.foods.Foods;
import io.parley.api.meals.foods.MealItems;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * The food table over HTTP: {@code GET /api/v1/foods?q=&limit=} (ranked search),
 * {@code GET /api/v1/foods/{ndb}} and {@code POST /api/v1/foods/parse} (a meal text read into items
 * without logging it, for a client to confirm). Searching is pure CPU over an in-memory index (well
 * under a millisecond; see docs/BENCHMARKS.md), so it runs on the event loop.
 */
public final class FoodRoutes {

  public static final String FOODS = "/api/v1/foods";
  static final int DEFAULT_LIMIT = 10;
  static final int MAX_QUERY = 200;

  private final Foods foods;

  public FoodRoutes(Foods foods) {
    this.foods = foods;
  }

  public void mount(RouterBuilder b) {
    b.getRoute("searchFoods").addHandler(this::search);
    b.getRoute("parseFoods").addHandler(this::parse);
    b.getRoute("getFood").addHandler(this::get);
  }

  private void search(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      Authenticator.userId(ctx);
      String q = ctx.queryParams().get("q");
      if (q == null || q.isBlank()) {
        throw ApiProblem.field("/q", "required", "q (what to search for, like \"banana\") is required");
      }
      if (q.length() > MAX_QUERY) {
        throw ApiProblem.field("/q", "maxLength", "q is at most " + MAX_QUERY + " characters");
      }
      int limit = limit(ctx.queryParams().get("limit"));
      List<FoodSearch.Match> found = foods.search().search(q, limit);
      JsonArray items = new JsonArray();
      for (FoodSearch.Match m : found) {
        items.add(m.food().json().put("confidence", round3(m.confidence())));
      }
      Responses.json(ctx, 200, Future.succeededFuture(new JsonObject().put("query", q).put("items", items)
          .put("count", items.size())));
    });
  }

  private static int limit(String v) {
    if (v == null || v.isBlank()) {
      return DEFAULT_LIMIT;
    }
    try {
      int n = Integer.parseInt(v.strip());
      if (n >= 1 && n <= FoodSearch.MAX_LIMIT) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw ApiProblem.field("/limit", "range", "limit must be a whole number from 1 to " + FoodSearch.MAX_LIMIT);
  }

  private void get(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      Authenticator.userId(ctx);
      String ndb = ctx.pathParam("ndb");
      Responses.json(ctx, 200, Future.succeededFuture(foods.table().get(ndb)
          .orElseThrow(() -> new ParleyException(Reason.NOT_FOUND, "no food with NDB number " + ndb)).json()));
    });
  }

  private void parse(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      Authenticator.userId(ctx);
      String text = text(body(ctx));
      FoodText.Reading r = foods.text().read(text);
      JsonArray items = new JsonArray();
      r.items().forEach(i -> items.add(MealItems.item(i)));
      Responses.json(ctx, 200, Future.succeededFuture(new JsonObject().put("text", text).put("items", items)
          .put("unresolved", MealItems.unresolved(r.unresolved())).put("totals", MealItems.totals(items))));
    });
  }

  /** The request's JSON object body; a clear 400 when it is missing or not an object. */
  static JsonObject body(RoutingContext ctx) {
    try {
      JsonObject body = ctx.body() == null ? null : ctx.body().asJsonObject();
      if (body == null) {
        throw new ApiProblem(400, "invalid_body", "a JSON object body is required", null);
      }
      return body;
    } catch (DecodeException | ClassCastException e) {
      throw new ApiProblem(400, "invalid_body", "the body is not a JSON object", null);
    }
  }

  /** The {@code text} field of a body: required, at most {@link FoodText#MAX_TEXT} characters. */
  static String text(JsonObject body) {
    Object v = body.getValue("text");
    if (!(v instanceof String text) || text.isBlank()) {
      throw ApiProblem.field("/text", "required", "text (what was eaten, like \"two eggs and a slice of toast\") is required");
    }
    if (text.length() > FoodText.MAX_TEXT) {
      throw ApiProblem.field("/text", "maxLength", "text is at most " + FoodText.MAX_TEXT + " characters");
    }
    return text;
  }

  private static double round3(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
