package io.parley.api.assistant.context;

import io.parley.api.assistant.memory.Memory;
import io.parley.api.assistant.memory.MemoryStore;
import io.parley.api.assistant.memory.Relevance;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the assistant knows about its user for one answer: name, profile facts, today's meal
 * totals, the next appointment and the saved memories (most relevant to the question first);
 * {@link #render} makes the prompt text of it
 * within a token budget. Allergies are never left out for the budget: an answer that ignores one is
 * the worst a health assistant can give.
 *
 * <p>Tokens are approximated as characters / 4 (English text with common tokenizers averages about
 * four characters a token); the budget is a bound on the prompt's growth, not an exact count.
 */
public record PersonalContext(String name, Profile profile, Today today, Optional<Appointment> next,
                              List<Memory> memories) {

  /** The profile's facts; absent ones are null or empty. */
  public record Profile(List<String> allergies, List<String> goals, String diet, String activity, Double heightCm,
                        Double weightKg, Integer age, String city) {
    public static final Profile NONE = new Profile(List.of(), List.of(), null, null, null, null, null, null);
  }

  /** The meals logged on {@code day} (UTC) and their totals. */
  public record Today(LocalDate day, int meals, double kcal, double proteinG, double carbsG, double fatG) {}

  /** The user's next live appointment (requested or accepted) with an expert. */
  public record Appointment(OffsetDateTime at, int minutes, String type, String status, String expert,
                            String specialization) {}

  static final String HEADER = "What you know about the user (their Parley profile, meal log, appointments and "
      + "what they asked you to remember; use it where it helps, do not recite it):";
  /** A kcal target in a goal's words ("2000 kcal a day", "eat 1800kcal"). */
  private static final Pattern KCAL_GOAL = Pattern.compile("(\\d{3,5})\\s*kcal", Pattern.CASE_INSENSITIVE);
  private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("EEEE yyyy-MM-dd HH:mm 'UTC'",
      Locale.ENGLISH);
  /** Longest profile text (a goal, the city) carried into the prompt. */
  private static final int MAX_FACT_CHARS = 80;

  /** Approximate tokens of {@code text}: characters / 4, rounded up. */
  public static int tokens(String text) {
    return (text.length() + 3) / 4;
  }

  /**
   * The prompt text with the memories ranked for {@code query} by their words ({@link Relevance};
   * newest first among equals): {@link #render(int)} of that.
   */
  public String render(String query, int budgetTokens) {
    return new PersonalContext(name, profile, today, next, Relevance.rank(memories, query, Memory::content))
        .render(budgetTokens);
  }

  /**
   * The prompt text: the header, the name and allergies always, then as many of the other facts,
   * today's totals, the next appointment and the memories, in their order (most relevant first), as
   * fit in {@code budgetTokens}.
   */
  public String render(int budgetTokens) {
    long budget = budgetTokens * 4L;
    StringBuilder out = new StringBuilder(HEADER);
    out.append("\nName: ").append(line(name, MAX_FACT_CHARS)).append('.');
    if (!profile.allergies().isEmpty()) {
      out.append("\nAllergies: ").append(list(profile.allergies()))
          .append(". Never suggest a food with one of these; if a food contains one, say so.");
    }
    List<String> optional = new ArrayList<>();
    facts().ifPresent(optional::add);
    optional.add(todayLine());
    next.ifPresent(a -> optional.add(appointment(a)));
    for (String l : optional) {
      if (out.length() + 1 + l.length() <= budget) {
        out.append('\n').append(l);
      }
    }
    String heading = "\nRemembered (the user asked you to):";
    long left = budget - out.length() - heading.length();
    List<Memory> chosen = left <= 0 ? List.of()
        : MemoryStore.within(memories, left);
    if (!chosen.isEmpty()) {
      out.append(heading);
      chosen.forEach(m -> out.append("\n- ").append(line(m.content(), Memory.MAX_CHARS)));
    }
    return out.toString();
  }

  private Optional<String> facts() {
    List<String> parts = new ArrayList<>();
    if (!profile.goals().isEmpty()) {
      parts.add("goals: " + list(profile.goals()));
    }
    if (profile.diet() != null) {
      parts.add("diet: " + line(profile.diet(), MAX_FACT_CHARS));
    }
    if (profile.activity() != null) {
      parts.add("activity: " + profile.activity().replace('_', ' '));
    }
    if (profile.age() != null) {
      parts.add("age " + profile.age());
    }
    if (profile.heightCm() != null) {
      parts.add("height " + number(profile.heightCm()) + " cm");
    }
    if (profile.weightKg() != null) {
      parts.add("weight " + number(profile.weightKg()) + " kg");
    }
    if (profile.city() != null) {
      parts.add("lives in " + line(profile.city(), MAX_FACT_CHARS));
    }
    return parts.isEmpty() ? Optional.empty() : Optional.of("Profile: " + String.join("; ", parts) + ".");
  }

  private String todayLine() {
    if (today.meals() == 0) {
      return "Nothing logged today (" + today.day() + ", UTC) yet.";
    }
    String goal = kcalGoal().map(g -> " of a " + g + " kcal goal").orElse("");
    return "Eaten today (" + today.day() + ", UTC, " + today.meals() + (today.meals() == 1 ? " meal" : " meals")
        + "): " + number(today.kcal()) + " kcal" + goal + ", " + number(today.proteinG()) + " g protein, "
        + number(today.carbsG()) + " g carbohydrate, " + number(today.fatG()) + " g fat.";
  }

  /** A daily kcal target named in the goals, if any. */
  Optional<Integer> kcalGoal() {
    for (String g : profile.goals()) {
      Matcher m = KCAL_GOAL.matcher(g);
      if (m.find()) {
        return Optional.of(Integer.parseInt(m.group(1)));
      }
    }
    return Optional.empty();
  }

  private static String appointment(Appointment a) {
    return "Next appointment: " + WHEN.format(a.at().withOffsetSameInstant(ZoneOffset.UTC)) + ", " + a.minutes()
        + " min " + a.type() + " call with " + line(a.expert(), MAX_FACT_CHARS) + " ("
        + line(a.specialization(), MAX_FACT_CHARS) + "), " + a.status() + ".";
  }

  private static String list(List<String> items) {
    return String.join(", ", items.stream().map(s -> line(s, MAX_FACT_CHARS)).toList());
  }

  /** One line of at most {@code max} characters: what a user typed cannot start lines of its own. */
  private static String line(String s, int max) {
    String one = s.replaceAll("\\s+", " ").strip();
    return one.length() <= max ? one : one.substring(0, max - 1) + "…";
  }

  private static String number(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : String.format(Locale.ROOT, "%.1f", d);
  }
}
