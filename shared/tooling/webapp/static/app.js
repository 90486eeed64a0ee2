// app.js: the demo page of `jwtgate dev`. Plain DOM code over
// jwtgate-client.js; every answer is shown as text (never as HTML).
import { createClient } from "./jwtgate-client.js";

const $ = (id) => document.getElementById(id);
const api = createClient({ onLoggedOut: () => showLogin("Your session ended: please log in again.") });

function setStatus(text) { $("status").textContent = text; }

function message(r) {
  if (r.body && typeof r.body.msg === "string") return r.body.msg;
  if (r.body && typeof r.body.message === "string") return r.body.message;
  return "HTTP " + r.status;
}

// loggedOutReason says why a 401 ends the session, in words.
function loggedOutReason(r) {
  switch (message(r)) {
    case "Missing cookie \"access_token_cookie\"": return "Not logged in.";
    // The client already tried a refresh: it failed.
    case "Token has expired": return "Your session ended: please log in again.";
    default: return message(r);
  }
}

// roleRefused says a refusal is about a role, not the session: the gateway
// refuses a role rule with 401 and the rule's msg ("Forbidden: requires
// role ..."; one status for every gateway denial), the opt-in check in the
// function with 403. The session stays.
function roleRefused(r) {
  return r.status === 403 || (r.status === 401 && message(r).startsWith("Forbidden: "));
}

function showResult(el, r, okText) {
  el.dataset.state = r.ok ? "ok" : "denied";
  el.textContent = r.ok ? okText : r.status + " " + message(r);
}

function showLogin(why) {
  for (const id of ["session", "admin", "change-password"]) $(id).hidden = true;
  $("login").hidden = false;
  $("whoami").textContent = "";
  $("admin-result").textContent = "";
  $("admin-result").dataset.state = "";
  $("password-result").textContent = "";
  $("password-result").dataset.state = "";
  setStatus(why || "Not logged in.");
}

function showSession(user) {
  $("login").hidden = true;
  $("login-error").textContent = "";
  $("whoami").textContent = user;
  for (const id of ["session", "admin", "change-password"]) $(id).hidden = false;
  setStatus("Session active.");
}

// checkSession asks GET /protected who is logged in.
async function checkSession() {
  let r;
  try {
    r = await api.json("/protected");
  } catch {
    setStatus("The API cannot be reached.");
    return;
  }
  if (r.ok && r.body && r.body.logged_in_as) {
    showSession(r.body.logged_in_as);
    setStatus("Session checked at " + new Date().toLocaleTimeString() + ".");
  } else if (r.status === 401) {
    showLogin(loggedOutReason(r));
  } else {
    setStatus("Session check failed: " + message(r));
  }
}

async function busy(button, work) {
  button.disabled = true;
  try { await work(); } finally { button.disabled = false; }
}

$("login-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  busy($("login-submit"), async () => {
    $("login-error").textContent = "";
    const r = await api.json("/login", {
      method: "POST",
      body: { username: $("username").value, password: $("password").value },
    });
    if (!r.ok) {
      $("login-error").textContent = message(r);
      return;
    }
    $("password").value = "";
    await checkSession();
  });
});

$("check").addEventListener("click", () => busy($("check"), checkSession));

$("admin-load").addEventListener("click", () => busy($("admin-load"), async () => {
  const r = await api.json("/admin");
  if (r.status === 401 && !roleRefused(r)) { showLogin(loggedOutReason(r)); return; }
  showResult($("admin-result"), r, "OK: admin data for " + (r.body && r.body.user));
}));

$("password-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  busy($("password-submit"), async () => {
    const r = await api.json("/password", {
      method: "POST",
      body: { old_password: $("old-password").value, new_password: $("new-password").value },
    });
    if (r.ok) {
      $("old-password").value = "";
      $("new-password").value = "";
    }
    if (r.status === 401 && message(r) === "Fresh token required") {
      showResult($("password-result"), r, "");
      $("password-result").textContent = "401 Fresh token required: log out and in again first.";
      return;
    }
    if (r.status === 401) { showLogin(loggedOutReason(r)); return; }
    showResult($("password-result"), r, "Password changed: every other session is logged out.");
  });
});

$("logout").addEventListener("click", () => busy($("logout"), async () => {
  const r = await api.json("/logout", { method: "POST" });
  if (r.ok) showLogin("Logged out.");
  else setStatus("Logout failed: " + message(r));
}));

checkSession();
