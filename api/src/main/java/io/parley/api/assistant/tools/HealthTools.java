package io.parley.api.assistant.tools;

import static io.parley.api.assistant.tools.ToolSchema.id;
import static io.parley.api.assistant.tools.ToolSchema.schema;
import static io.parley.api.assistant.tools.ToolSchema.string;

import io.parley.api.assistant.tools.ServerTool.Caller;
import io.parley.api.assistant.tools.ServerTool.Defined;
import io.parley.api.accounts.ExpertStore;
import io.parley.api.accounts.UserStore;
import io.parley.api.calls.AppointmentRoutes;
import io.parley.api.calls.AppointmentStore;
import io.parley.api.calls.CallService;
import io.parley.api.meals.MealStore;
import io.parley.api.meals.foods.FoodText;
import io.parley.api.meals.foods.Foods;
import io.parley.api.meals.foods.MealItems;
import io.parley.core.Ids;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Parley's own tools for the assistant, over its stores: the profile, the meal log (read, log from
 * words against the USDA table, delete), the expert directory, and the user's appointments (list,
 * book, cancel). Each runs as the calling user: reads and writes name the user, so an id of another
 * user's meal or appointment finds nothing. To add one: a {@link Defined} in {@link #all}.
 */
public final class HealthTools {

  /** Most experts one search returns to the model. */
  static final int EXPERTS = 5;
  /** Most appointments listed. */
  static final int APPOINTMENTS = 20;

  private final UserStore users;
  private final MealStore meals;
  private final Foods foods;
  private final ExpertStore experts;
  private final AppointmentStore appointments;
  private final CallService calls;
  private final Ids ids;
  private final Clock clock;

  public HealthTools(UserStore users, MealStore meals, Foods foods, ExpertStore experts,
                     AppointmentStore appointments, CallService calls, Ids ids, Clock clock) {
    this.users = users;
    this.meals = meals;
    this.foods = foods;
    this.experts = experts;
    this.appointments = appointments;
    this.calls = calls;
    this.ids = ids;
    this.clock = clock;
  }

  /** The tools, in the order offered ({@link MemoryTools} has the memory's). */
  public List<ServerTool> all() {
    return List.of(
        new Defined("get_profile", "The user's name and health profile: allergies, dietary preference, goals,"
            + " activity level, height, weight, city.", schema(new JsonObject(), List.of()), false, this::profile),
        new Defined("get_meals", "The meals the user logged on a day (UTC) with each meal's items and the day's"
            + " totals (kcal, protein, carbs, fat).", schema(new JsonObject().put("date", string(
                "the day, YYYY-MM-DD; today when left out")), List.of()), false, this::mealsOf),
        new Defined("log_meal", "Logs a meal from the user's words, e.g. 'two eggs and a slice of toast': the"
            + " foods are looked up in the USDA table; returns the logged items, the totals and what was not"
            + " understood.", schema(new JsonObject().put("description", string("what was eaten, in words")),
                List.of("description")), true, this::logMeal),
        new Defined("delete_meal", "Deletes one of the user's logged meals (its id from get_meals).",
            schema(new JsonObject().put("id", string("the meal's id")), List.of("id")), true, this::deleteMeal),
        new Defined("find_experts", "Finds experts (nutritionists, dietitians, trainers...) by specialization"
            + " and/or city.", schema(new JsonObject().put("specialization", string("e.g. nutritionist"))
                .put("city", string("e.g. Berlin")), List.of()), false, this::findExperts),
        new Defined("list_appointments", "The user's appointments with experts, soonest first.",
            schema(new JsonObject().put("status", new JsonObject().put("type", "string").put("enum", new JsonArray()
                .add("requested").add("accepted").add("declined").add("cancelled").add("completed")
                .add("expired").add("missed"))), List.of()), false, this::listAppointments),
        new Defined("book_appointment", "Books an appointment with an expert (an id from find_experts).",
            schema(new JsonObject().put("expert_id", string("the expert's id"))
                .put("scheduled_at", string("start, RFC 3339 with offset, in the future"))
                .put("duration_minutes", new JsonObject().put("type", "integer").put("minimum", 1))
                .put("type", new JsonObject().put("type", "string").put("enum", new JsonArray().add("voice")
                    .add("video")))
                .put("notes", string("what the user wants to discuss")), List.of("expert_id", "scheduled_at")),
            true, this::book),
        new Defined("cancel_appointment", "Cancels one of the user's appointments (its id from"
            + " list_appointments).", schema(new JsonObject().put("id", string("the appointment's id")),
                List.of("id")), true, this::cancel));
  }

  private static final Set<String> PROFILE = Set.of("allergies", "dietary_pref", "goals", "activity_level",
      "height_cm", "weight_kg", "dob", "city");

  private Future<JsonObject> profile(Caller caller, JsonObject args) {
    return users.withProfile(caller.user()).map(u -> {
      JsonObject found = u.orElseThrow(() -> new ToolError("the user no longer exists"));
      JsonObject profile = new JsonObject();
      found.getJsonObject("profile", new JsonObject()).forEach(e -> {
        if (PROFILE.contains(e.getKey())) {
          profile.put(e.getKey(), e.getValue());
        }
      });
      return new JsonObject().put("name", found.getString("name")).put("profile", profile);
    });
  }

  private Future<JsonObject> mealsOf(Caller caller, JsonObject args) {
    LocalDate day;
    try {
      day = args.getString("date") == null ? LocalDate.now(clock.withZone(ZoneOffset.UTC))
          : LocalDate.parse(args.getString("date"));
    } catch (DateTimeParseException | ClassCastException e) {
      throw new ToolError("date must be YYYY-MM-DD");
    }
    Instant from = day.atStartOfDay(ZoneOffset.UTC).toInstant();
    return meals.list(caller.user(), from, from.plusSeconds(86_400)).map(list -> {
      JsonArray out = new JsonArray();
      list.getJsonArray("items").forEach(m -> out.add(meal((JsonObject) m)));
      JsonArray days = list.getJsonArray("days");
      return new JsonObject().put("date", day.toString()).put("meals", out)
          .put("totals", days.isEmpty() ? MealItems.totals(new JsonArray()) : days.getJsonObject(0).copy());
    });
  }

  /** A meal as the model needs it: what, when, the foods and their amounts, the totals. */
  private static JsonObject meal(JsonObject m) {
    JsonArray items = new JsonArray();
    m.getJsonArray("items").forEach(o -> {
      JsonObject i = (JsonObject) o;
      items.add(new JsonObject().put("food", i.getJsonObject("food", new JsonObject()).getString("description"))
          .put("grams", i.getValue("portion_g"))
          .put("kcal", i.getJsonObject("nutrients", new JsonObject()).getValue("kcal")));
    });
    return new JsonObject().put("id", m.getString("id")).put("logged_at", m.getString("logged_at"))
        .put("description", m.getString("description")).put("items", items).put("totals", m.getJsonObject("totals"));
  }

  private Future<JsonObject> logMeal(Caller caller, JsonObject args) {
    UUID user = caller.user();
    String text = args.getValue("description") instanceof String s ? s.strip() : "";
    if (text.isEmpty() || text.length() > FoodText.MAX_TEXT) {
      throw new ToolError("description must say what was eaten, in at most " + FoodText.MAX_TEXT + " characters");
    }
    FoodText.Reading reading = foods.text().read(text);
    JsonArray unresolved = MealItems.unresolved(reading.unresolved());
    if (reading.items().isEmpty()) {
      return Future.succeededFuture(new JsonObject().put("logged", false).put("unresolved", unresolved)
          .put("message", "no food in the description could be found; nothing was logged"));
    }
    JsonArray items = new JsonArray();
    reading.items().forEach(i -> items.add(MealItems.item(i)));
    return meals.create(user, clock.instant(), MealStore.Source.TEXT, text, items, null, null, null)
        .compose(created -> meals.get(user, UUID.fromString(created.getString("id"))))
        .map(stored -> new JsonObject().put("logged", true)
            .put("meal", meal(stored.orElseThrow(() -> new ToolError("the meal was not stored"))))
            .put("unresolved", unresolved));
  }

  private Future<JsonObject> deleteMeal(Caller caller, JsonObject args) {
    return meals.delete(caller.user(), id(args, "id")).map(deleted -> {
      if (!deleted) {
        throw new ToolError("the user has no meal with that id");
      }
      return new JsonObject().put("deleted", true).put("id", args.getString("id"));
    });
  }

  private Future<JsonObject> findExperts(Caller caller, JsonObject args) {
    String specialization = args.getValue("specialization") instanceof String s && !s.isBlank() ? s : null;
    String city = args.getValue("city") instanceof String s && !s.isBlank() ? s : null;
    return experts.list(specialization, city, EXPERTS, null).map(page -> {
      JsonArray out = new JsonArray();
      page.items().forEach(e -> out.add(new JsonObject().put("id", e.getString("id"))
          .put("name", e.getString("display_name")).put("specialization", e.getString("specialization"))
          .put("city", e.getString("city")).put("rating", e.getValue("rating"))
          .put("rate_cents", e.getValue("rate_cents")).put("currency", e.getString("currency"))
          .put("availability", e.getValue("availability"))));
      return new JsonObject().put("experts", out);
    });
  }

  private Future<JsonObject> listAppointments(Caller caller, JsonObject args) {
    String status = args.getValue("status") instanceof String s ? s : null;
    return appointments.list(caller.user(), AppointmentStore.Side.USER, status, APPOINTMENTS, null)
        .map(page -> new JsonObject().put("appointments", new JsonArray(page.items())));
  }

  private Future<JsonObject> book(Caller caller, JsonObject args) {
    UUID user = caller.user();
    UUID expert = id(args, "expert_id");
    if (expert.equals(user)) {
      throw new ToolError("the user cannot book themselves");
    }
    Instant at;
    try {
      at = OffsetDateTime.parse(args.getString("scheduled_at", "")).toInstant();
    } catch (DateTimeParseException | ClassCastException e) {
      throw new ToolError("scheduled_at must be an RFC 3339 date-time with an offset");
    }
    if (!at.isAfter(clock.instant())) {
      throw new ToolError("scheduled_at must be in the future");
    }
    int minutes = args.getValue("duration_minutes") instanceof Number n ? n.intValue() : 30;
    long max = Math.max(1, calls.settings().limit().toMinutes());
    if (minutes < 1 || minutes > max) {
      throw new ToolError("duration_minutes must be 1.." + max);
    }
    String type = "voice".equals(args.getValue("type")) ? "voice" : "video";
    String notes = args.getValue("notes") instanceof String s ? s : null;
    return appointments.create(ids.uuid7(), new AppointmentStore.Booking(user, expert, type, at, minutes, notes),
        calls.settings().freePerMonth()).map(a -> new JsonObject().put("booked", true).put("appointment", a.json()));
  }

  private Future<JsonObject> cancel(Caller caller, JsonObject args) {
    return AppointmentRoutes.cancel(appointments, calls, id(args, "id"), caller.user())
        .map(a -> new JsonObject().put("cancelled", true).put("appointment", a.json()));
  }
}
