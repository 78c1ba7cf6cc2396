// The food table: search (GET /api/v1/foods), one food by its NDB number, nutrients for an amount,
// the "Find a food" card, and the picker the meal editors use to choose or swap a food.
import { request } from "./api.js";
import { $, busy, el, fmt } from "./ui.js";

const NUTRIENTS = ["kcal", "protein_g", "carbs_g", "fat_g", "fiber_g", "sugars_g", "sodium_mg"];
const foods = new Map(); // ndb -> promise of the food (per_100g, portions): a food never changes

export async function searchFoods(q, limit = 8) {
  const page = await request("GET", `/api/v1/foods?q=${encodeURIComponent(q)}&limit=${limit}`);
  for (const f of page.items) foods.set(f.ndb, Promise.resolve(f));
  return page.items;
}

/** The whole food (values per 100 g, portions), fetched once. */
export function getFood(ndb) {
  if (!foods.has(ndb)) {
    const p = request("GET", `/api/v1/foods/${encodeURIComponent(ndb)}`);
    p.catch(() => foods.delete(ndb));
    foods.set(ndb, p);
  }
  return foods.get(ndb);
}

/** The nutrients of `grams` of a food; null where the table has no value. */
export function nutrientsFor(food, grams) {
  const n = {};
  for (const k of NUTRIENTS) n[k] = food.per_100g[k] === null ? null : (food.per_100g[k] * grams) / 100;
  return n;
}

/** Sums, as the server makes them: an unknown value counts as nothing unless all are unknown. */
export function sumNutrients(list) {
  const sum = {};
  for (const k of NUTRIENTS) {
    const known = list.map((n) => n && n[k]).filter((v) => v !== null && v !== undefined);
    sum[k] = known.length ? known.reduce((a, b) => a + b, 0) : null;
  }
  return sum;
}

/** "126 kcal · protein 11.1 g · carbs 0.6 g · fat 8.4 g" ("kcal unknown" when the table has none). */
export function macros(n) {
  const kcal = n.kcal === null ? "kcal unknown" : `${fmt(n.kcal)} kcal`;
  return `${kcal} · protein ${fmt(n.protein_g, 1)} g · carbs ${fmt(n.carbs_g, 1)} g · fat ${fmt(n.fat_g, 1)} g`;
}

/** Grams in one unit of a portion ("3 oz" weighing 85 g: 28.3 g per oz). */
export const gramsPerUnit = (p) => p.grams / p.amount;

/** A food's portions, one per name: the server takes the first of a name ("oz" of 28 g, not "3 oz" of 85 g). */
export const portionsOf = (food) => food.portions.filter((p, i) => food.portions.findIndex((q) => q.name === p.name) === i);

/** "medium (44 g)". */
export const portionLabel = (p) => `${p.name} (${fmt(gramsPerUnit(p), gramsPerUnit(p) < 10 ? 1 : 0)} g)`;

function foodResult(food, action) {
  const all = portionsOf(food);
  const portions = all.length
    ? `Portions: ${all.slice(0, 8).map(portionLabel).join("; ")}${all.length > 8 ? "; …" : ""}`
    : "No household portions: give grams.";
  return el("li", { "data-ndb": food.ndb },
    el("div", {},
      el("strong", {}, food.description),
      el("div", {}, `${fmt(food.per_100g.kcal)} kcal per 100 g · protein ${fmt(food.per_100g.protein_g, 1)} g · `
        + `carbs ${fmt(food.per_100g.carbs_g, 1)} g · fat ${fmt(food.per_100g.fat_g, 1)} g`),
      el("div", { class: "muted" }, portions),
      el("div", { class: "muted small" }, `${food.group} · ${food.source}`)),
    action ? el("div", { class: "actions" }, action) : null);
}

/** Results into `list`, each with the action `action(food)` makes (or none); says when nothing matched. */
function showResults(list, q, items, action) {
  list.replaceChildren();
  if (!items.length) {
    list.append(el("li", {}, `No food matches “${q}”. Try a simpler word, like “egg” or “rice”.`));
    return;
  }
  for (const f of items) list.append(foodResult(f, action && action(f)));
}

/** The "Find a food" card: what a food is made of, per 100 g and per portion. */
export function initFoodSearch() {
  const form = $("#food-search");
  form.addEventListener("submit", busy(form.querySelector("button"), async () => {
    const q = new FormData(form).get("q").trim();
    if (!q) throw new Error("Type a food to search for, like “banana”.");
    showResults($("#food-results"), q, await searchFoods(q), null);
  }));
}

/**
 * A picker to choose a food: the close matches a reading kept (`alternatives`: [{ndb, description}])
 * as one-click choices, and a search. `onPick(food)` gets the whole food; `onClose()` when cancelled.
 */
export function foodPicker({ purpose, alternatives = [], onPick, onClose }) {
  const input = el("input", { type: "search", name: "q", required: true, maxlength: 200 });
  const results = el("ul", { class: "list", "aria-label": "Foods found" });
  const pick = (f) => {
    const b = el("button", { type: "button", class: "small", "aria-label": `Choose ${f.description}` }, "Choose");
    b.addEventListener("click", busy(b, () => onPick(f)));
    return b;
  };
  const cancel = el("button", { type: "button", class: "small secondary" }, "Cancel");
  cancel.addEventListener("click", onClose);
  const form = el("form", { class: "row" }, el("label", {}, "Search foods ", input), el("button", { type: "submit" }, "Search"), cancel);
  form.addEventListener("submit", busy(form.querySelector("button[type=submit]"), async () => {
    const q = input.value.trim();
    if (!q) throw new Error("Type a food to search for.");
    showResults(results, q, await searchFoods(q), pick);
  }));
  const matches = alternatives.length
    ? el("div", { class: "alternatives" }, el("p", { class: "muted" }, "Close matches:"),
      ...alternatives.map((a) => {
        const b = el("button", { type: "button", class: "small secondary", "aria-label": `Use ${a.description}` }, a.description);
        b.addEventListener("click", busy(b, async () => onPick(await getFood(a.ndb))));
        return b;
      }))
    : null;
  const node = el("div", { class: "picker", role: "group", "aria-label": purpose }, matches, form, results);
  node.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      onClose();
    }
  });
  return { node, focus: () => input.focus() };
}
