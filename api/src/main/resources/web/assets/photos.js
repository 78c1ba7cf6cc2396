// Meal photos: analyse a photo (boxes and labels over it, a nutrition estimate), log it as a meal,
// and the meal log by day with totals.
import { request } from "./api.js";
import { $, busy, el, probe, say, when } from "./ui.js";

let current = null; // {file, url, answer}
probe.photo = { boxes: 0, labels: [], meals: 0 };

const fmt = (v, digits = 0) => (v === null || v === undefined ? "–" : Number(v).toFixed(digits));

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

function nutritionTable(meal) {
  const table = $("#nutrition");
  const body = table.querySelector("tbody");
  const foot = table.querySelector("tfoot");
  body.replaceChildren();
  foot.replaceChildren();
  if (!meal || !meal.items || !meal.items.length) {
    table.hidden = true;
    return;
  }
  for (const item of meal.items) {
    const n = item.nutrients;
    body.append(el("tr", {},
      el("td", {}, item.label), el("td", {}, fmt(item.portion_g)),
      el("td", {}, n ? fmt(n.kcal) : "no data"), el("td", {}, n ? fmt(n.protein_g, 1) : "–"),
      el("td", {}, n ? fmt(n.carbs_g, 1) : "–"), el("td", {}, n ? fmt(n.fat_g, 1) : "–")));
  }
  const t = meal.totals || {};
  foot.append(el("tr", {}, el("th", { scope: "row" }, "Total"), el("td", {}, ""),
    el("td", {}, fmt(t.kcal)), el("td", {}, fmt(t.protein_g, 1)), el("td", {}, fmt(t.carbs_g, 1)), el("td", {}, fmt(t.fat_g, 1))));
  table.hidden = false;
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
  nutritionTable(answer.meal);
  $("#log-meal").hidden = food.length === 0;
  say(`Analysed in ${Math.round(answer.timings.inference_ms)} ms (${answer.model.name}).`);
}

async function logMeal() {
  if (!current) return;
  const form = new FormData();
  form.append("image", current.file);
  form.append("store_image", String($("#keep-photo").checked));
  const meal = await request("POST", "/api/v1/meals", { form });
  say(`Meal logged: about ${fmt(meal.totals.kcal)} kcal.`);
  await loadLog();
}

async function loadLog() {
  const log = await request("GET", "/api/v1/meals");
  const root = $("#meal-log");
  root.replaceChildren();
  probe.photo.meals = log.items.length;
  if (!log.items.length) {
    root.append(el("p", { class: "muted" }, "No meals logged in the last 7 days."));
    return;
  }
  for (const day of [...log.days].reverse()) {
    const meals = log.items.filter((m) => m.logged_at.slice(0, 10) === day.date);
    const list = el("ul", { class: "list" });
    for (const m of meals) {
      const del = el("button", { type: "button", class: "small danger", "aria-label": `Delete the meal of ${when(m.logged_at)}` }, "Delete");
      del.addEventListener("click", busy(del, async () => {
        await request("DELETE", `/api/v1/meals/${m.id}`);
        say("Meal deleted.");
        await loadLog();
      }));
      const names = m.items.map((i) => i.label).join(", ");
      list.append(el("li", { "data-meal": m.id }, el("span", {}, `${when(m.logged_at)} · ${names} · ${fmt(m.totals.kcal)} kcal`),
        el("div", { class: "actions" }, del)));
    }
    root.append(el("div", { class: "day" },
      el("h4", {}, `${day.date}: ${fmt(day.kcal)} kcal · protein ${fmt(day.protein_g, 1)} g · carbs ${fmt(day.carbs_g, 1)} g · fat ${fmt(day.fat_g, 1)} g`),
      list));
  }
}

export function initPhotos() {
  $("#photo-form").addEventListener("submit", busy($("#photo-form button[type=submit]"), analyse));
  $("#log-meal").addEventListener("click", busy($("#log-meal"), logMeal));
}

export async function showPhotos() {
  await loadLog();
}
