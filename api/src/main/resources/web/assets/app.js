// Parley's web client: sign-in, then the assistant, expert calls and meals, one page each
// (#/assistant, #/calls, #/meals). Plain ES modules served by Parley; no build step.
import { logIn, logOut, onAuthChange, request, signedIn, signUp } from "./api.js";
import { initAssistant, leaveAssistant } from "./assistant.js";
import { initCalls, leaveCalls, showCalls } from "./calls.js";
import { initFoodSearch } from "./foods.js";
import { initMeals, loadMeals } from "./meals.js";
import { initPhotos } from "./photos.js";
import { $, busy, fail, say } from "./ui.js";

const VIEWS = ["login", "assistant", "calls", "meals"];

async function show() {
  let view = location.hash.replace(/^#\//, "") || "assistant";
  if (view === "photos") view = "meals"; // the page's old address
  if (!VIEWS.includes(view)) view = "assistant";
  if (!signedIn()) view = "login";
  if (signedIn() && view === "login") view = "assistant";
  for (const v of VIEWS) $(`#view-${v}`).hidden = v !== view;
  for (const a of document.querySelectorAll("nav a")) {
    if (a.dataset.view === view) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  $("#nav").hidden = !signedIn();
  if (view !== "assistant") leaveAssistant();
  document.title = `Parley · ${$(`#view-${view} h2`).textContent}`;
  try {
    if (view === "calls") await showCalls();
    if (view === "meals") await loadMeals();
  } catch (e) {
    fail(e);
  }
}

async function whoAmI() {
  if (!signedIn()) return;
  try {
    const me = await request("GET", "/api/v1/auth/me");
    $("#who").textContent = me.name || me.email;
  } catch (e) {
    fail(e);
  }
}

function initAuth() {
  const login = $("#login-form");
  login.addEventListener("submit", busy(login.querySelector("button"), async () => {
    const f = new FormData(login);
    await logIn(f.get("email"), f.get("password"));
    login.reset();
    say("");
  }));
  const signup = $("#signup-form");
  signup.addEventListener("submit", busy(signup.querySelector("button"), async () => {
    const f = new FormData(signup);
    await signUp(f.get("name"), f.get("email"), f.get("password"));
    signup.reset();
    say("Welcome to Parley.");
  }));
  $("#logout").addEventListener("click", busy($("#logout"), async () => {
    leaveAssistant();
    leaveCalls();
    await logOut();
    say("You are signed out.");
  }));
  onAuthChange((inNow) => {
    if (inNow) whoAmI();
    if (!inNow) {
      leaveAssistant();
      leaveCalls();
    }
    location.hash = inNow ? (location.hash && location.hash !== "#/login" ? location.hash : "#/assistant") : "#/login";
    show();
  });
}

initAuth();
initAssistant();
initCalls();
initMeals();
initFoodSearch();
initPhotos();
window.addEventListener("hashchange", () => {
  show();
  $("#main").focus();
});
whoAmI();
show();
