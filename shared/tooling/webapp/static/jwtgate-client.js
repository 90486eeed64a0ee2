// jwtgate-client.js: a fetch wrapper for jwtgate's JWT cookie sessions
// (flask-jwt-extended's cookie pattern). No dependencies, no build step.
//
//   import { createClient } from "./jwtgate-client.js";
//   const api = createClient({ onLoggedOut: showLoginForm });
//   const res = await api.fetch("/protected");
//
// What it does for every call:
// - sends the cookies: credentials "same-origin", or "include" when the API
//   is on another origin (base set to another origin, or credentials given);
// - on unsafe methods (POST, PUT, PATCH, DELETE) adds X-CSRF-TOKEN with the
//   value of the csrf_access_token cookie (the double-submit check; the
//   HttpOnly token cookies themselves are never readable here);
// - on 401 {"msg":"Token has expired"} POSTs /refresh once, with the
//   csrf_refresh_token value, and retries the call once; concurrent calls
//   share one refresh. When the refresh fails, onLoggedOut runs (back to the
//   login form) and the caller gets the original 401.

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const EXPIRED = "Token has expired";

// readCookie returns the value of the cookie called name, or "".
export function readCookie(name) {
  for (const part of document.cookie.split(";")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) {
      return decodeURIComponent(part.slice(i + 1).trim());
    }
  }
  return "";
}

// createClient returns { fetch, refresh, json }.
export function createClient(options = {}) {
  const o = {
    base: "",
    csrfHeader: "X-CSRF-TOKEN",
    accessCSRFCookie: "csrf_access_token",
    refreshCSRFCookie: "csrf_refresh_token",
    refreshPath: "/refresh",
    onLoggedOut: () => {},
    ...options,
  };
  const crossOrigin = o.base !== "" && new URL(o.base, location.href).origin !== location.origin;
  const credentials = o.credentials || (crossOrigin ? "include" : "same-origin");
  let refreshing = null;

  // send makes one request, with the CSRF value of csrfCookie on unsafe methods.
  function send(path, init, csrfCookie) {
    const method = (init.method || "GET").toUpperCase();
    const headers = new Headers(init.headers || {});
    if (UNSAFE.has(method)) {
      const csrf = readCookie(csrfCookie);
      if (csrf !== "") headers.set(o.csrfHeader, csrf);
    }
    return fetch(o.base + path, { ...init, method, headers, credentials });
  }

  // refresh rotates the session's tokens; it resolves to true on success.
  // One refresh runs at a time: a rotated refresh token used twice would
  // look like theft to the server once the reuse grace has passed.
  function refresh() {
    if (refreshing === null) {
      refreshing = send(o.refreshPath, { method: "POST" }, o.refreshCSRFCookie)
        .then((res) => res.ok, () => false)
        .finally(() => { refreshing = null; });
    }
    return refreshing;
  }

  async function expired(res) {
    if (res.status !== 401) return false;
    try {
      const body = await res.clone().json();
      return body && body.msg === EXPIRED;
    } catch {
      return false;
    }
  }

  // apiFetch is fetch for the API, with the session handling described above.
  async function apiFetch(path, init = {}) {
    const res = await send(path, init, o.accessCSRFCookie);
    if (!(await expired(res))) return res;
    if (!(await refresh())) {
      o.onLoggedOut();
      return res;
    }
    return send(path, init, o.accessCSRFCookie);
  }

  // json sends body as JSON and returns { status, ok, body } with the parsed
  // answer (body is null when the answer is not JSON).
  async function json(path, init = {}) {
    const req = { ...init };
    if (init.body !== undefined) {
      req.body = JSON.stringify(init.body);
      req.headers = { "Content-Type": "application/json", ...(init.headers || {}) };
    }
    const res = await apiFetch(path, req);
    let body = null;
    try { body = await res.json(); } catch { body = null; }
    return { status: res.status, ok: res.ok, body };
  }

  return { fetch: apiFetch, refresh, json };
}
