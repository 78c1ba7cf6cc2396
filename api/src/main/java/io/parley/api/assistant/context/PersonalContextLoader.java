package io.parley.api.assistant.context;

import io.parley.api.assistant.memory.Memory;
import io.parley.api.assistant.memory.MemoryStore;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.Period;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Reads a user's {@link PersonalContext} from PostgreSQL, asynchronously (the Vert.x client; never
 * blocking an event loop): one query for the name, profile, today's totals and the next
 * appointment, and beside it the newest memories ranked for the question ({@link MemoryStore#ranked}).
 */
public final class PersonalContextLoader {

  private static final String FACTS = """
      SELECT u.name, p.allergies, p.goals, p.dietary_pref, p.activity_level, p.height_cm, p.weight_kg, p.dob, p.city,
             t.meals, t.kcal, t.protein_g, t.carbs_g, t.fat_g,
             a.scheduled_at, a.duration_minutes, a.type, a.status, e.display_name, e.specialization
      FROM users u
      LEFT JOIN user_profiles p ON p.user_id = u.id
      CROSS JOIN LATERAL (SELECT count(*)::int AS meals, coalesce(sum(total_kcal), 0) AS kcal,
                                 coalesce(sum(total_protein_g), 0) AS protein_g,
                                 coalesce(sum(total_carbs_g), 0) AS carbs_g, coalesce(sum(total_fat_g), 0) AS fat_g
                          FROM meals WHERE user_id = u.id AND logged_at >= $2 AND logged_at < $3) t
      LEFT JOIN LATERAL (SELECT * FROM appointments WHERE user_id = u.id AND status IN ('requested', 'accepted')
                         AND ends_at > $4 ORDER BY scheduled_at LIMIT 1) a ON true
      LEFT JOIN experts e ON e.user_id = a.expert_id
      WHERE u.id = $1""";

  private final Pool pool;
  private final MemoryStore memories;
  private final Clock clock;

  public PersonalContextLoader(Pool pool, MemoryStore memories, Clock clock) {
    this.pool = pool;
    this.memories = memories;
    this.clock = clock;
  }

  /** The user's context now, its memories newest first; empty when the user does not exist (any more). */
  public Future<Optional<PersonalContext>> load(UUID user) {
    return load(user, "");
  }

  /** The user's context now, its memories most relevant to {@code query} first; empty when the user does not exist. */
  public Future<Optional<PersonalContext>> load(UUID user, String query) {
    OffsetDateTime now = OffsetDateTime.now(clock).withOffsetSameInstant(ZoneOffset.UTC);
    LocalDate day = now.toLocalDate();
    OffsetDateTime start = day.atStartOfDay().atOffset(ZoneOffset.UTC);
    Future<Optional<Row>> facts = pool.preparedQuery(FACTS)
        .execute(Tuple.of(user, start, start.plusDays(1), now))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next()));
    Future<List<Memory>> kept = memories.ranked(user, query);
    return Future.all(facts, kept).map(v -> facts.result().map(r -> context(r, day, kept.result())));
  }

  private static PersonalContext context(Row r, LocalDate day, List<Memory> kept) {
    LocalDate dob = r.getLocalDate("dob");
    PersonalContext.Profile profile = new PersonalContext.Profile(strings(r.getArrayOfStrings("allergies")),
        strings(r.getArrayOfStrings("goals")), r.getString("dietary_pref"), r.getString("activity_level"),
        decimal(r, "height_cm"), decimal(r, "weight_kg"), dob == null ? null : Period.between(dob, day).getYears(),
        r.getString("city"));
    PersonalContext.Today today = new PersonalContext.Today(day, r.getInteger("meals"), decimal(r, "kcal"),
        decimal(r, "protein_g"), decimal(r, "carbs_g"), decimal(r, "fat_g"));
    Optional<PersonalContext.Appointment> next = r.getOffsetDateTime("scheduled_at") == null ? Optional.empty()
        : Optional.of(new PersonalContext.Appointment(r.getOffsetDateTime("scheduled_at"),
            r.getInteger("duration_minutes"), r.getString("type"), r.getString("status"), r.getString("display_name"),
            r.getString("specialization")));
    return new PersonalContext(r.getString("name"), profile, today, next, kept);
  }

  private static List<String> strings(String[] a) {
    return a == null ? List.of() : List.of(a);
  }

  private static Double decimal(Row r, String column) {
    Object v = r.getValue(column);
    return v instanceof Number n ? n.doubleValue() : null;
  }
}
