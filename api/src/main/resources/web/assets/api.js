// Parley's REST API from the browser: tokens, refresh, and errors in words.
//
// Tokens live in sessionStorage (gone when the tab closes; never in a cookie or the URL). The access
// token is refreshed a minute before it expires and, once, when a request comes back 401. Refresh
// tokens rotate on every use, so only one refresh runs at a time.

const KEY = "parley.tokens";

/** An API failure with the server's error code and message (the error shape of every endpoint). */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || [];
  }
}

let tokens = load();
let refreshing = null;
let refreshTimer = null;
const listeners = new Set();

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY)) || null;
  } catch {
    return null;
  }
}

function store(t) {
  tokens = t;
  if (t) {
    sessionStorage.setItem(KEY, JSON.stringify(t));
  } else {
    sessionStorage.removeItem(KEY);
  }
  schedule();
  listeners.forEach((f) => f(Boolean(t)));
}

function schedule() {
  clearTimeout(refreshTimer);
  if (!tokens) return;
  // A minute before expiry, or at 80% of a short lifetime; never sooner than 5 s from now.
  const lead = Math.min(60_000, tokens.lifetime_ms * 0.2);
  const wait = Math.max(5_000, tokens.expires_at - Date.now() - lead);
  refreshTimer = setTimeout(() => refresh().catch(() => {}), wait);
}

function save(body) {
  store({
    access_token: body.access_token,
    refresh_token: body.refresh_token,
    expires_at: Date.now() + body.expires_in * 1000,
    lifetime_ms: body.expires_in * 1000,
  });
}

/** Called with true on sign-in and false on sign-out (also when a refresh is refused). */
export function onAuthChange(f) {
  listeners.add(f);
}

export function signedIn() {
  return Boolean(tokens);
}

/** The current access token (for WebSockets), refreshed first when it is about to expire. */
export async function accessToken() {
  if (tokens && tokens.expires_at - Date.now() < 30_000) {
    await refresh();
  }
  return tokens ? tokens.access_token : null;
}

async function refresh() {
  if (!tokens) throw new ApiError(401, "unauthorized", "You are signed out.");
  if (!refreshing) {
    const spent = tokens.refresh_token;
    refreshing = fetch("/api/v1/auth/refresh", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: spent }),
    }).then(async (r) => {
      if (!r.ok) {
        store(null);
        throw await toError(r);
      }
      save(await r.json());
      window.parleyProbe = window.parleyProbe || {};
      window.parleyProbe.refreshes = (window.parleyProbe.refreshes || 0) + 1;
    }).finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

async function toError(r) {
  let body = null;
  try {
    body = await r.json();
  } catch {
    // not JSON: a proxy's page, say
  }
  const e = body && body.error;
  if (e) {
    // Details the message does not already say (a field error's message names its one field).
    const detail = (e.details || []).filter((d) => d.problem && !e.message.includes(d.problem))
      .map((d) => `${d.field}: ${d.problem}`).join("; ");
    return new ApiError(r.status, e.code, detail ? `${e.message} (${detail})` : e.message, e.details);
  }
  return new ApiError(r.status, "http_" + r.status, `The server answered ${r.status} ${r.statusText}.`);
}

/**
 * One request. `json` is sent as JSON, `form` (a FormData) as multipart. Returns the parsed JSON
 * body (null for 204); throws ApiError in words.
 */
export async function request(method, path, { json, form, auth = true } = {}) {
  const go = async () => {
    const headers = {};
    let body;
    if (json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(json);
    } else if (form) {
      body = form;
    }
    if (auth && tokens) headers.authorization = `Bearer ${tokens.access_token}`;
    return fetch(path, { method, headers, body });
  };
  let r;
  try {
    r = await go();
    if (r.status === 401 && auth && tokens) {
      await refresh();
      r = await go();
    }
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new ApiError(0, "network", "Parley cannot be reached. Check your connection and try again.");
  }
  if (!r.ok) throw await toError(r);
  if (r.status === 204) return null;
  const type = r.headers.get("content-type") || "";
  return type.includes("json") ? r.json() : r.blob();
}

export async function signUp(name, email, password) {
  save(await request("POST", "/api/v1/auth/signup", { json: { name, email, password }, auth: false }));
}

export async function logIn(email, password) {
  save(await request("POST", "/api/v1/auth/login", { json: { email, password }, auth: false }));
}

export async function logOut() {
  const t = tokens;
  store(null);
  if (t) {
    await request("POST", "/api/v1/auth/logout", { json: { refresh_token: t.refresh_token }, auth: false }).catch(() => {});
  }
}

schedule();
