package io.parley.api.http;

import static io.parley.api.support.ErrorShape.assertError;
import static io.parley.api.support.ErrorShape.fields;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Expert listings: becoming an expert, the directory's filters, cursor pagination and single
 * listings. Every test uses its own specialization (and city) strings, so listings that other
 * tests create on the shared node never show up in its queries.
 */
class ExpertsTest {

  private final Api api = TestNode.shared().api();

  @Test
  void upsertingAListingMakesTheCallerAnExpert() {
    JsonObject user = api.newUser();
    String token = user.getString("access_token");
    assertThat(claims(token).getString("role")).isEqualTo("user");
    String id = api.get("/api/v1/users/me", token).json().getString("id");
    assertThat(claims(token).getString("sub")).isEqualTo(id);
    assertError(api.get("/api/v1/experts/" + id, token), 404, "not_found");

    String specialization = "Nutrition-" + UUID.randomUUID();
    Api.Res put = api.put("/api/v1/experts/me", token, new JsonObject()
        .put("display_name", "Dr Ada").put("specialization", specialization).put("bio", "Plant-based diets.")
        .put("city", "Lisbon").put("rate_cents", 6000).put("expertise_tags", new JsonArray().add("vegan"))
        .put("availability", new JsonArray().add(new JsonObject().put("weekday", 3).put("start", "08:30")
            .put("end", "17:00"))));
    assertThat(put.status()).as(put.body()).isEqualTo(200);
    JsonObject listing = put.json();
    assertThat(listing.getString("id")).isEqualTo(id);
    assertThat(listing.getString("display_name")).isEqualTo("Dr Ada");
    assertThat(listing.getString("specialization")).isEqualTo(specialization);
    assertThat(listing.getString("city")).isEqualTo("Lisbon");
    assertThat(listing.getInteger("rate_cents")).isEqualTo(6000);
    assertThat(listing.getString("currency")).isEqualTo("EUR");
    assertThat(listing.getInteger("max_clients")).isEqualTo(20);
    assertThat(listing.getJsonArray("expertise_tags")).containsExactly("vegan");
    assertThat(listing.getJsonArray("availability").getJsonObject(0).getInteger("weekday")).isEqualTo(3);

    // The account's role changed; new tokens (login or refresh) carry it.
    assertThat(api.get("/api/v1/users/me", token).json().getString("role")).isEqualTo("expert");
    Api.Res login = api.post("/api/v1/auth/login", null,
        new JsonObject().put("email", user.getString("email")).put("password", user.getString("password")));
    assertThat(login.status()).isEqualTo(200);
    JsonObject fresh = claims(login.json().getString("access_token"));
    assertThat(fresh.getString("role")).isEqualTo("expert");
    assertThat(fresh.getString("sub")).isEqualTo(id);
    Api.Res refreshed = api.post("/api/v1/auth/refresh", null,
        new JsonObject().put("refresh_token", user.getString("refresh_token")));
    assertThat(refreshed.status()).isEqualTo(200);
    assertThat(claims(refreshed.json().getString("access_token")).getString("role")).isEqualTo("expert");

    // Editing replaces the one listing.
    Api.Res edit = api.put("/api/v1/experts/me", token, new JsonObject()
        .put("display_name", "Dr Ada L.").put("specialization", specialization).put("bio", "Now also sport."));
    assertThat(edit.status()).isEqualTo(200);
    JsonObject after = api.get("/api/v1/experts/" + id, token).json();
    assertThat(after.getString("display_name")).isEqualTo("Dr Ada L.");
    assertThat(after.getString("bio")).isEqualTo("Now also sport.");
    assertThat(api.get("/api/v1/experts?specialization=" + specialization, token).json().getJsonArray("items"))
        .hasSize(1);
  }

  @Test
  void invalidListingsAreRejected() {
    String token = api.newUser().getString("access_token");
    assertThat(fields(assertError(api.put("/api/v1/experts/me", token,
        new JsonObject().put("display_name", "No Specialization")), 400, "validation_failed")))
        .contains("/specialization");
    assertThat(fields(assertError(api.put("/api/v1/experts/me", token, new JsonObject()
        .put("display_name", "D").put("specialization", "s").put("currency", "euro")), 400, "validation_failed")))
        .containsExactly("/currency");
    assertThat(fields(assertError(api.put("/api/v1/experts/me", token, new JsonObject()
        .put("display_name", "D").put("specialization", "s").put("availability", new JsonArray()
            .add(new JsonObject().put("weekday", 1).put("start", "25:00").put("end", "26:00")))),
        400, "validation_failed"))).contains("/availability/0/start");
    // None of it made the caller an expert.
    assertThat(api.get("/api/v1/users/me", token).json().getString("role")).isEqualTo("user");
    assertError(api.put("/api/v1/experts/me", null,
        new JsonObject().put("display_name", "D").put("specialization", "s")), 401, "unauthorized");
  }

  /** A cursor is opaque but not forgeable into a 500: anything the server did not issue is a 400. */
  @Test
  void aCursorTheServerDidNotIssueIsRefused() {
    String token = api.newUser().getString("access_token");
    for (String forged : new String[] {"garbage", "bm90LWEtZGF0ZXxub3QtYW4taWQ", "MjAyNi0wMS0wMVQwMDowMFp8eA"}) {
      assertError(api.get("/api/v1/experts?cursor=" + forged, token), 400, "validation_failed");
      assertError(api.get("/api/v1/appointments?cursor=" + forged, token), 400, "validation_failed");
    }
  }

  @Test
  void directoryFiltersBySpecializationAndCityIgnoringCase() {
    String specialization = "Sleep-" + UUID.randomUUID();
    String uniqueCity = "Tromso-" + UUID.randomUUID();
    String osloA = expert("Oslo A", specialization, "Oslo");
    String osloB = expert("Oslo B", specialization, "OSLO");
    String bergen = expert("Bergen", specialization, "Bergen");
    String far = expert("Far North", specialization, uniqueCity);
    String otherField = expert("Other field", "Other-" + UUID.randomUUID(), "Oslo");
    String token = api.newUser().getString("access_token");

    assertThat(ids(list(token, "specialization=" + specialization.toUpperCase())))
        .containsExactly(osloA, osloB, bergen, far);
    assertThat(ids(list(token, "specialization=" + specialization.toLowerCase() + "&city=oslo")))
        .containsExactly(osloA, osloB);
    assertThat(ids(list(token, "specialization=" + specialization + "&city=BERGEN"))).containsExactly(bergen);
    assertThat(ids(list(token, "city=" + uniqueCity.toUpperCase()))).containsExactly(far);
    assertThat(ids(list(token, "specialization=" + specialization + "&city=Nowhere"))).isEmpty();
    assertThat(ids(list(token, "specialization=" + specialization))).doesNotContain(otherField);
  }

  @Test
  void cursorPaginationVisitsEveryExpertExactlyOnce() {
    String specialization = "Paging-" + UUID.randomUUID();
    List<String> created = new ArrayList<>();
    List<String> tokens = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      JsonObject u = api.newUser();
      tokens.add(u.getString("access_token"));
      created.add(becomeExpert(u.getString("access_token"), "Pager " + i, specialization, "Riga"));
    }
    String token = api.newUser().getString("access_token");

    List<String> seen = new ArrayList<>();
    List<Integer> pageSizes = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonObject page = list(token, "specialization=" + specialization + "&limit=2"
          + (cursor == null ? "" : "&cursor=" + cursor));
      pageSizes.add(page.getJsonArray("items").size());
      seen.addAll(ids(page));
      assertThat(page.containsKey("next_cursor")).isTrue();
      cursor = page.getString("next_cursor");
      if (pages == 0) {
        // An edit while paging does not move a listing or show it twice.
        assertThat(api.put("/api/v1/experts/me", tokens.get(0), new JsonObject().put("display_name", "Pager 0 edited")
            .put("specialization", specialization).put("city", "Riga")).status()).isEqualTo(200);
      }
      pages++;
      assertThat(pages).as("pages").isLessThanOrEqualTo(5);
    } while (cursor != null);

    assertThat(pageSizes).containsExactly(2, 2, 1);
    assertThat(seen).containsExactlyElementsOf(created);
    assertThat(new HashSet<>(seen)).hasSize(5);

    // A page that ends exactly at the last listing says so.
    JsonObject all = list(token, "specialization=" + specialization + "&limit=5");
    assertThat(ids(all)).containsExactlyElementsOf(created);
    assertThat(all.getValue("next_cursor")).isNull();
    JsonObject four = list(token, "specialization=" + specialization + "&limit=4");
    assertThat(four.getString("next_cursor")).isNotNull();
    JsonObject rest = list(token, "specialization=" + specialization + "&limit=4&cursor=" + four.getString("next_cursor"));
    assertThat(ids(rest)).containsExactly(created.get(4));
    assertThat(rest.getValue("next_cursor")).isNull();
  }

  @Test
  void forgedCursorsAreRejected() {
    String token = api.newUser().getString("access_token");
    String base64Garbage = Base64.getUrlEncoder().withoutPadding()
        .encodeToString("foobar".getBytes(StandardCharsets.UTF_8));
    String badUuid = Base64.getUrlEncoder().withoutPadding()
        .encodeToString("2024-01-01T00:00:00Z|not-a-uuid".getBytes(StandardCharsets.UTF_8));
    String badTime = Base64.getUrlEncoder().withoutPadding()
        .encodeToString(("yesterday|" + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8));
    for (String cursor : new String[] {base64Garbage, badUuid, badTime, "%21%21%21not-base64", "x".repeat(201)}) {
      assertError(api.get("/api/v1/experts?cursor=" + cursor, token), 400, "validation_failed");
    }
  }

  @Test
  void singleListingById() {
    String specialization = "Coach-" + UUID.randomUUID();
    String id = expert("Coach Carter", specialization, "Ghent");
    String token = api.newUser().getString("access_token");

    Api.Res r = api.get("/api/v1/experts/" + id, token);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getString("id")).isEqualTo(id);
    assertThat(r.json().getString("display_name")).isEqualTo("Coach Carter");
    assertThat(r.json().getString("specialization")).isEqualTo(specialization);
    assertThat(r.json().getString("city")).isEqualTo("Ghent");
    assertThat(r.json()).isEqualTo(list(token, "specialization=" + specialization).getJsonArray("items")
        .getJsonObject(0));

    assertError(api.get("/api/v1/experts/" + UUID.randomUUID(), token), 404, "not_found");
    String plainUser = api.get("/api/v1/users/me", token).json().getString("id");
    assertError(api.get("/api/v1/experts/" + plainUser, token), 404, "not_found");
    assertError(api.get("/api/v1/experts/" + id, null), 401, "unauthorized");
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** A new user with a listing; returns the expert id. */
  private String expert(String name, String specialization, String city) {
    return becomeExpert(api.newUser().getString("access_token"), name, specialization, city);
  }

  private String becomeExpert(String token, String name, String specialization, String city) {
    Api.Res r = api.put("/api/v1/experts/me", token,
        new JsonObject().put("display_name", name).put("specialization", specialization).put("city", city));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json().getString("id");
  }

  private JsonObject list(String token, String query) {
    Api.Res r = api.get("/api/v1/experts?" + query, token);
    assertThat(r.status()).as("%s: %s", query, r.body()).isEqualTo(200);
    return r.json();
  }

  private static List<String> ids(JsonObject page) {
    List<String> out = new ArrayList<>();
    JsonArray items = page.getJsonArray("items");
    for (int i = 0; i < items.size(); i++) {
      out.add(items.getJsonObject(i).getString("id"));
    }
    return out;
  }

  /** The payload of a JWT, decoded (not verified: the server did that). */
  private static JsonObject claims(String jwt) {
    String[] parts = jwt.split("\\.");
    assertThat(parts).hasSize(3);
    return new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
  }
}
