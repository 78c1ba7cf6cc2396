// Small DOM helpers shared by the pages.

export const $ = (selector, root = document) => root.querySelector(selector);

/** Creates an element: el("li", {class: "x", "data-id": 1}, "text", child, ...). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

/** Says something in the page's live region: kind "error" or "info"; empty text clears it. */
export function say(text, kind = "info") {
  const s = $("#status");
  s.textContent = text || "";
  s.className = text ? `status ${kind}` : "status";
}

/** Shows an error thrown by the API (or anything else) in words. */
export function fail(e) {
  console.warn(e);
  say(e && e.message ? e.message : String(e), "error");
}

/** Runs an async click/submit handler with its button disabled meanwhile and errors shown. */
export function busy(button, f) {
  return async (event) => {
    if (event && event.preventDefault) event.preventDefault();
    if (button) button.disabled = true;
    try {
      await f(event);
    } catch (e) {
      fail(e);
    } finally {
      if (button) button.disabled = false;
    }
  };
}

/** A number to show: "–" when unknown, else rounded to `digits` places. */
export const fmt = (v, digits = 0) => (v === null || v === undefined ? "–" : Number(v).toFixed(digits));

/** Local time, short: "Mon 14:05". */
export function when(iso) {
  return new Date(iso).toLocaleString(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" });
}

/** State the end-to-end tests read (counters only; nothing secret). */
export const probe = (window.parleyProbe = window.parleyProbe || {});
