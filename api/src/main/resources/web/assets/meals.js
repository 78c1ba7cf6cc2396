// Meals: log what you ate by typing it (a preview first: what was read, and what was not and why),
// and the meal log by day with totals, each meal's foods editable in place (saved with PATCH).
import { request } from "./api.js";
import { macros } from "./foods.js";
import { mealEditor } from "./meal-editor.js";
import { $, busy, el, fmt, probe, say, when } from "./ui.js";

let previewed = null; // the text the preview shows: what "Log this meal" sends
probe.meals = { count: 0, kcal: [], previews: 0, corrected: 0 };

/** "2 × medium (88 g)", or "150 g" for an amount in grams. */
function amount(item) {
  const grams = `${fmt(item.portion_g)} g`;
  return item.portion ? `${Number(item.quantity.toFixed(2))} × ${item.portion.name} (${grams})` : grams;
}

/** A meal's foods, one line each: what, how much, kcal. */
function itemLines(items) {
  return el("ul", { class: "meal-items" }, items.map((i) => el("li", {},
    el("span", {}, i.food.description), ` · ${amount(i)} · `,
    el("span", { class: "kcal" }, i.nutrients.kcal === null ? "kcal unknown" : `${fmt(i.nutrients.kcal)} kcal`))));
}

/** The server's reason, typeset: no food in the table matches “xyzzy”. */
const typeset = (s) => s.replace(/"([^"]*)"/g, "“$1”") + (/[.!?]$/.test(s) ? "" : ".");

async function preview() {
  const text = new FormData($("#meal-text-form")).get("text").trim();
  if (!text) throw new Error("Type what you ate first, like “two eggs and a slice of toast”.");
  const p = await request("POST", "/api/v1/foods/parse", { json: { text } });
  previewed = text;
  probe.meals.previews += 1;
  const box = $("#meal-preview");
  box.replaceChildren(el("div", {},
    el("h4", {}, "What Parley read"),
    p.items.length ? itemLines(p.items) : el("p", {}, "No food could be read from this."),
    p.items.length ? el("p", { class: "total" }, `Total: ${macros(p.totals)}`) : null,
    p.unresolved.length ? el("div", { class: "unresolved" },
      el("h4", {}, "Not understood"),
      el("ul", {}, p.unresolved.map((u) => el("li", {}, el("q", {}, u.text), `: ${typeset(u.reason)}`))),
      el("p", { class: "muted" }, p.items.length
        ? "Logging keeps only what was read. To include the rest, change the text and preview again."
        : "Change the text and preview again.")) : null));
  box.hidden = false;
  $("#log-text").hidden = p.items.length === 0;
}

function clearPreview() {
  previewed = null;
  $("#meal-preview").hidden = true;
  $("#log-text").hidden = true;
}

async function logText() {
  if (!previewed) return;
  const meal = await request("POST", "/api/v1/meals", { json: { text: previewed } });
  $("#meal-text-form").reset();
  clearPreview();
  const skipped = meal.unresolved.length ? ` Not logged: ${meal.unresolved.map((u) => `“${u.text}”`).join(", ")}.` : "";
  say(`Meal logged: about ${fmt(meal.totals.kcal)} kcal.${skipped}`);
  await loadMeals();
}

function origin(m) {
  if (m.source === "photo") return "from a photo";
  return m.description ? `“${m.description}”` : "chosen foods";
}

function mealNode(m) {
  const at = when(m.logged_at);
  const body = el("div", { class: "meal-body" }, itemLines(m.items));
  const edit = el("button", { type: "button", class: "small", "aria-expanded": "false", "aria-label": `Edit the meal of ${at}` }, "Edit");
  const del = el("button", { type: "button", class: "small danger", "aria-label": `Delete the meal of ${at}` }, "Delete");
  const close = () => {
    body.replaceChildren(itemLines(m.items));
    edit.setAttribute("aria-expanded", "false");
  };
  edit.addEventListener("click", busy(edit, async () => {
    if (edit.getAttribute("aria-expanded") === "true") {
      close();
      return;
    }
    const editor = await mealEditor(m.items, { name: `Foods of the meal of ${at}`,
      empty: "A meal needs at least one food; to remove them all, delete the meal." });
    const save = el("button", { type: "button" }, "Save changes");
    const cancel = el("button", { type: "button", class: "secondary" }, "Cancel");
    save.addEventListener("click", busy(save, async () => {
      let updated;
      try {
        updated = await request("PATCH", `/api/v1/meals/${m.id}`, { json: { items: editor.listed() } });
      } catch (e) {
        throw editor.explain(e);
      }
      say(`Meal updated: about ${fmt(updated.totals.kcal)} kcal (was ${fmt(m.totals.kcal)}).`);
      await loadMeals(m.id);
      probe.meals.corrected += 1; // after the log shows the corrected meal: the browser test reads it then
    }));
    cancel.addEventListener("click", () => {
      close();
      edit.focus();
    });
    body.replaceChildren(editor.node, el("div", { class: "row" }, save, cancel));
    edit.setAttribute("aria-expanded", "true");
    editor.focus();
  }));
  del.addEventListener("click", busy(del, async () => {
    await request("DELETE", `/api/v1/meals/${m.id}`);
    say("Meal deleted.");
    await loadMeals();
  }));
  return el("li", { class: "meal", "data-meal": m.id },
    el("span", {}, `${at} · ${origin(m)} · `, el("strong", { class: "meal-kcal" }, `${fmt(m.totals.kcal)} kcal`)),
    el("div", { class: "actions" }, edit, del),
    body);
}

/** The last 7 days by day; `focusId`: the meal whose Edit button gets the focus back after a save. */
export async function loadMeals(focusId) {
  const log = await request("GET", "/api/v1/meals");
  const root = $("#meal-log");
  root.replaceChildren();
  probe.meals.count = log.items.length;
  probe.meals.kcal = log.items.map((m) => m.totals.kcal);
  if (!log.items.length) {
    root.append(el("p", { class: "muted" }, "No meals logged in the last 7 days."));
    return;
  }
  for (const day of [...log.days].reverse()) {
    const meals = log.items.filter((m) => m.logged_at.slice(0, 10) === day.date);
    root.append(el("div", { class: "day" },
      el("h4", {}, `${day.date}: ${fmt(day.kcal)} kcal · protein ${fmt(day.protein_g, 1)} g · carbs ${fmt(day.carbs_g, 1)} g · fat ${fmt(day.fat_g, 1)} g`),
      el("ul", { class: "list" }, meals.map(mealNode))));
  }
  const back = focusId && root.querySelector(`[data-meal="${focusId}"] button`);
  if (back) back.focus();
}

export function initMeals() {
  const form = $("#meal-text-form");
  form.addEventListener("submit", busy(form.querySelector("button[type=submit]"), preview));
  form.elements.text.addEventListener("input", () => {
    if (previewed !== null) clearPreview();
  });
  form.elements.text.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) form.requestSubmit();
  });
  $("#log-text").addEventListener("click", busy($("#log-text"), logText));
}
