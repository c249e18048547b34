// Login form: posts the credentials, then goes to the overview. The
// session cookie is HttpOnly; this page never sees it. Without a session
// there is no PS.start: the language comes from PS.pickLanguage (saved
// choice, Accept-Language, French) and the select here saves a new
// choice for every page after login.
"use strict";

const form = document.getElementById("login");
const select = document.getElementById("lang");
// The last error, as a key or as the server's own text, so a language
// switch re-renders it.
let lastError = null;

function showLoginError() {
  const box = document.getElementById("error");
  if (!lastError) {
    box.hidden = true;
    return;
  }
  box.textContent = lastError.key ? PS.t(lastError.key, lastError.params) : lastError.text;
  box.hidden = false;
}

function errorFor(status, body, retryAfter) {
  if (status === 401) return { key: "login.error.credentials" };
  if (status === 429) {
    const seconds = Number(retryAfter);
    return seconds > 0
      ? { key: "login.error.blocked_for", params: { wait: PSLive.duration(seconds) } }
      : { key: "login.error.blocked" };
  }
  return { key: "login.error.other", params: { reason: (body && body.error) || `HTTP ${status}` } };
}

async function start() {
  for (const [code, name] of PS.LANGUAGES) {
    const option = PS.el("option", name);
    option.value = code;
    option.lang = code;
    select.append(option);
  }
  const lang = PS.pickLanguage();
  select.value = lang;
  try {
    await PS.loadLanguage(lang);
  } catch (err) {
    // Without translations the form still works; keys stay visible.
  }
  select.addEventListener("change", async () => {
    localStorage.setItem("ps.lang", select.value);
    await PS.loadLanguage(select.value);
    showLoginError();
  });
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = document.getElementById("submit");
  button.disabled = true;
  try {
    const response = await fetch("/api/v1/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        username: document.getElementById("username").value,
        password: document.getElementById("password").value,
      }),
    });
    let body = {};
    try {
      body = await response.json();
    } catch (err) {
      body = {};
    }
    if (response.ok) {
      location.href = "/";
      return;
    }
    lastError = errorFor(response.status, body, response.headers.get("Retry-After"));
  } catch (err) {
    lastError = { key: "common.unreachable" };
  }
  button.disabled = false;
  showLoginError();
});

start();
