// A meal's items, editable before logging (a photo's) or after (a logged meal's): change the food
// (a close match the reading kept, or a search), the amount (grams, or a count of one of the food's
// portions), remove an item, add one. Nutrients follow as you type, from the food's values per
// 100 g; the server computes the stored ones when the items are sent.
import { ApiError } from "./api.js";
import { foodPicker, getFood, gramsPerUnit, macros, nutrientsFor, portionLabel, portionsOf, sumNutrients } from "./foods.js";
import { el, fmt, say } from "./ui.js";

/** The portion a new item starts with, in order of preference (as the server reads "two eggs"). */
const UNIT_WORDS = ["medium", "fruit", "large", "slice", "piece", "serving", "cup"];

const round = (v, places) => Math.round(v * 10 ** places) / 10 ** places;
const grams = (row) => (row.portion ? row.amount * gramsPerUnit(row.portion) : row.amount);

function note(item) {
  if (item.label) {
    const sure = item.detection_confidence === undefined ? "" : `, ${Math.round(item.detection_confidence * 100)}% sure`;
    return `seen as “${item.label}”${sure}`;
  }
  return item.text ? `from “${item.text}”` : "";
}

/** A row from a meal item as the API shows it. */
function fromItem(item) {
  return {
    food: item.food,
    detail: null, // the whole food (per_100g, portions) once fetched
    portion: item.portion || null,
    amount: item.portion ? item.quantity : item.portion_g,
    note: note(item),
    alternatives: item.alternatives || [],
  };
}

function fromFood(food) {
  const portion = UNIT_WORDS.map((w) => food.portions.find((p) => p.name.toLowerCase().startsWith(w))).find(Boolean)
    || food.portions[0] || null;
  return { food: { ndb: food.ndb, description: food.description }, detail: food, portion, amount: portion ? 1 : 100,
    note: "added", alternatives: [] };
}

/** Another food in a row: the same portion when the new food has one of that name, else the same grams. */
function swap(row, food) {
  const g = grams(row);
  const old = row.food;
  row.alternatives = [{ ndb: old.ndb, description: old.description }, ...row.alternatives.filter((a) => a.ndb !== food.ndb)];
  row.food = { ndb: food.ndb, description: food.description };
  row.detail = food;
  const same = row.portion && food.portions.find((p) => p.name === row.portion.name);
  if (same) {
    row.portion = same;
  } else {
    row.portion = null;
    row.amount = round(g, 1);
  }
}

/**
 * An editor over `items` (meal items as the API shows them), named `name` for assistive technology.
 * Resolves once every food's portions are known. `listed()` gives the items to send
 * ([{ndb, grams} | {ndb, portion, quantity}]) or throws in words; `explain(e)` turns an API error
 * about /items/N into one that names the food, and marks its amount.
 */
export async function mealEditor(items, { name, empty }) {
  const rows = items.map(fromItem);
  await Promise.all(rows.map(async (r) => {
    r.detail = await getFood(r.food.ndb);
    // A portion is sent by name and the server takes the first of that name: count in that one.
    const first = r.portion && portionsOf(r.detail).find((p) => p.name === r.portion.name);
    if (first && gramsPerUnit(first) !== gramsPerUnit(r.portion)) {
      r.amount = grams(r) / gramsPerUnit(first);
      r.portion = first;
    }
  }));
  const list = el("ul", { class: "list items-edit", "aria-label": name });
  const total = el("p", { class: "total" });
  const addSlot = el("div");
  const add = el("button", { type: "button", class: "small secondary", "aria-expanded": "false" }, "Add a food");
  const node = el("div", { class: "editor" }, list, el("div", { class: "row" }, add), addSlot, total);

  const showTotal = () => {
    const sum = sumNutrients(rows.map((r) => nutrientsFor(r.detail, grams(r))));
    total.textContent = rows.length
      ? `Total: ${fmt(rows.reduce((g, r) => g + grams(r), 0))} g · ${macros(sum)}`
      : "No foods: add one with “Add a food”.";
  };

  const render = () => {
    list.replaceChildren(...rows.map(rowNode));
    showTotal();
  };

  function rowNode(row) {
    const desc = row.food.description;
    const facts = el("span", { class: "facts" });
    const showFacts = () => {
      facts.textContent = `${fmt(grams(row))} g · ${macros(nutrientsFor(row.detail, grams(row)))}`;
    };
    const amount = el("input", { type: "number", min: "0", step: "any", inputmode: "decimal", required: true,
      value: round(row.amount, 2), "aria-label": `Amount of ${desc}` });
    const portions = portionsOf(row.detail);
    if (row.portion && !portions.some((p) => p.name === row.portion.name)) portions.push(row.portion);
    const unit = el("select", { "aria-label": `Unit for ${desc}` },
      el("option", { value: "g", selected: !row.portion }, "grams"),
      portions.map((p, k) => el("option", { value: String(k), selected: row.portion && p.name === row.portion.name }, portionLabel(p))));
    amount.addEventListener("input", () => {
      row.amount = Number(amount.value);
      amount.removeAttribute("aria-invalid");
      showFacts();
      showTotal();
    });
    unit.addEventListener("change", () => {
      // The same food in another unit: 88 g become 2 medium eggs, not 2 g.
      const g = grams(row);
      row.portion = unit.value === "g" ? null : portions[Number(unit.value)];
      row.amount = round(row.portion ? g / gramsPerUnit(row.portion) : g, 2);
      amount.value = row.amount;
      showFacts();
      showTotal();
    });
    const slot = el("div");
    const change = el("button", { type: "button", class: "small secondary", "aria-expanded": "false",
      "aria-label": `Change food (${desc})` }, "Change food");
    const remove = el("button", { type: "button", class: "small danger", "aria-label": `Remove ${desc}` }, "Remove");
    const li = el("li", { "data-ndb": row.food.ndb },
      el("div", { class: "item-head" }, el("strong", {}, desc), row.note ? el("span", { class: "muted" }, ` ${row.note}`) : null),
      el("div", { class: "row item-amount" }, el("label", {}, "Amount", amount), el("label", {}, "Unit", unit), facts),
      el("div", { class: "actions" }, change, remove),
      slot);
    change.addEventListener("click", () => {
      if (slot.firstChild) {
        slot.replaceChildren();
        change.setAttribute("aria-expanded", "false");
        return;
      }
      const picker = foodPicker({
        purpose: `Another food instead of ${desc}`,
        alternatives: row.alternatives,
        onPick: (food) => {
          swap(row, food);
          render();
          say(`${desc} changed to ${food.description}.`);
          list.children[rows.indexOf(row)].querySelector("input").focus();
        },
        onClose: () => {
          slot.replaceChildren();
          change.setAttribute("aria-expanded", "false");
          change.focus();
        },
      });
      slot.replaceChildren(picker.node);
      change.setAttribute("aria-expanded", "true");
      picker.focus();
    });
    remove.addEventListener("click", () => {
      const at = rows.indexOf(row);
      rows.splice(at, 1);
      render();
      say(`${desc} removed.`);
      const next = list.children[Math.min(at, rows.length - 1)];
      (next ? next.querySelector("button.danger") : add).focus();
    });
    showFacts();
    return li;
  }

  const closeAdd = () => {
    addSlot.replaceChildren();
    add.setAttribute("aria-expanded", "false");
  };
  add.addEventListener("click", () => {
    if (addSlot.firstChild) {
      closeAdd();
      return;
    }
    const picker = foodPicker({
      purpose: "Add a food",
      onPick: (food) => {
        rows.push(fromFood(food));
        closeAdd();
        render();
        say(`${food.description} added.`);
        list.lastChild.querySelector("input").focus();
      },
      onClose: () => {
        closeAdd();
        add.focus();
      },
    });
    addSlot.replaceChildren(picker.node);
    add.setAttribute("aria-expanded", "true");
    picker.focus();
  });
  render();

  const amountInput = (i) => list.children[i] && list.children[i].querySelector("input[type=number]");
  return {
    node,
    focus: () => (amountInput(0) || add).focus(),
    listed() {
      if (!rows.length) throw new Error(empty);
      return rows.map((r, i) => {
        if (!(r.amount > 0)) {
          amountInput(i).setAttribute("aria-invalid", "true");
          amountInput(i).focus();
          throw new Error(`Give an amount above 0 for ${r.food.description}.`);
        }
        return r.portion ? { ndb: r.food.ndb, portion: r.portion.name, quantity: r.amount } : { ndb: r.food.ndb, grams: r.amount };
      });
    },
    explain(e) {
      const about = e instanceof ApiError ? e.details.filter((d) => /^\/items\/\d+/.test(d.field || "")) : [];
      if (!about.length) return e;
      const words = about.map((d) => {
        const i = Number(d.field.split("/")[2]);
        if (amountInput(i)) amountInput(i).setAttribute("aria-invalid", "true");
        return `${rows[i] ? `${rows[i].food.description}: ` : ""}${d.problem}${/[.!?]$/.test(d.problem) ? "" : "."}`;
      });
      return new ApiError(e.status, e.code, words.join(" "), e.details);
    },
  };
}
