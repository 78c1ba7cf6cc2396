// Meal photos: analyse a photo (boxes and labels over it), show the foods found for the user to
// confirm or correct (nothing is logged yet), then log the confirmed foods.
import { request } from "./api.js";
import { mealEditor } from "./meal-editor.js";
import { loadMeals } from "./meals.js";
import { $, busy, el, fmt, probe, say } from "./ui.js";

let current = null; // {file, url, answer, editor}
probe.photo = { boxes: 0, labels: [], items: 0, logged: 0 };

function drawBoxes(answer) {
  const layer = $("#boxes");
  layer.replaceChildren();
  const { width, height } = answer.image;
  for (const o of answer.objects) {
    const [x1, y1, x2, y2] = o.bbox;
    const box = el("div", { class: "box", "data-label": o.label, title: `${o.label} ${Math.round(o.confidence * 100)}%` },
      el("span", {}, `${o.label} ${Math.round(o.confidence * 100)}%`));
    // Percentages of the photo: the boxes follow the image at any displayed size.
    box.style.left = `${(x1 / width) * 100}%`;
    box.style.top = `${(y1 / height) * 100}%`;
    box.style.width = `${((x2 - x1) / width) * 100}%`;
    box.style.height = `${((y2 - y1) / height) * 100}%`;
    layer.append(box);
  }
  probe.photo.boxes = answer.objects.length;
  probe.photo.labels = answer.objects.map((o) => o.label);
}

async function analyse() {
  const file = $("#photo-file").files[0];
  if (!file) throw new Error("Choose a photo first.");
  const form = new FormData();
  form.append("image", file);
  form.append("task", "meal");
  say("Analysing the photo…");
  const answer = await request("POST", "/api/v1/vision/analyze", { form });
  if (current) URL.revokeObjectURL(current.url);
  current = { file, url: URL.createObjectURL(file), answer };
  const img = $("#photo");
  img.src = current.url;
  $("#analysis").hidden = false;
  drawBoxes(answer);
  const food = (answer.food || []).map((o) => o.label);
  $("#objects-summary").textContent = answer.objects.length
    ? `Found ${answer.objects.map((o) => o.label).join(", ")}.${food.length ? "" : " No food the model knows."}`
    : "Nothing recognised in this photo.";
  const items = answer.meal ? answer.meal.items : [];
  current.editor = await mealEditor(items, { name: "Foods found in the photo",
    empty: "No foods to log: add what you ate, or type it under “Log what I ate”." });
  $("#photo-items").replaceChildren(current.editor.node);
  probe.photo.items = items.length;
  say(`Analysed in ${Math.round(answer.timings.inference_ms)} ms (${answer.model.name}).`);
}

async function logMeal() {
  if (!current) return;
  const items = current.editor.listed();
  // A kept photo needs the photo upload; its items are then replaced by the confirmed ones.
  const keep = $("#keep-photo").checked && current.answer.meal && current.answer.meal.items.length > 0;
  let meal;
  if (keep) {
    const form = new FormData();
    form.append("image", current.file);
    form.append("store_image", "true");
    const logged = await request("POST", "/api/v1/meals", { form });
    try {
      meal = await request("PATCH", `/api/v1/meals/${logged.id}`, { json: { items } });
    } catch (e) {
      await loadMeals();
      throw new Error(`The meal was logged as detected, but your changes were not saved (${current.editor.explain(e).message})`
        + " Correct it in the meal log.");
    }
  } else {
    try {
      meal = await request("POST", "/api/v1/meals", { json: { items } });
    } catch (e) {
      throw current.editor.explain(e);
    }
  }
  const unkept = $("#keep-photo").checked && !keep ? " The photo was not kept: no food was recognised in it." : "";
  say(`Meal logged: about ${fmt(meal.totals.kcal)} kcal.${unkept}`);
  probe.photo.logged += 1;
  probe.photo.meal = { source: meal.source, kcal: meal.totals.kcal,
    items: meal.items.map((i) => ({ ndb: i.food.ndb, description: i.food.description, grams: i.portion_g })) };
  $("#analysis").hidden = true;
  $("#photo-form").reset();
  await loadMeals();
}

export function initPhotos() {
  $("#photo-form").addEventListener("submit", busy($("#photo-form button[type=submit]"), analyse));
  $("#log-meal").addEventListener("click", busy($("#log-meal"), logMeal));
}
