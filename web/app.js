// PlexStaffAI dashboard logic. Every piece of text that comes from
// Overseerr, the LLM or a requester is untrusted: it is only ever placed
// with textContent, never as HTML. Polls the REST API every 3 s (live
// updates over SSE come with the full dashboard).
"use strict";

const REFRESH_MS = 3000;
const LANGUAGES = ["en", "fr"];
let messages = {};

// The explanation in the page's language: the rule's message id and
// parameters through web/i18n/<lang>.json, or the English text the
// service recorded when the id is unknown.
function explain(item) {
  const template = item.message_id && messages[item.message_id];
  if (!template) return item.explanation || "";
  const params = item.params || {};
  return template.replace(/\{([a-z_]+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole);
}

function pickLanguage() {
  const saved = localStorage.getItem("lang");
  if (LANGUAGES.includes(saved)) return saved;
  const wanted = (navigator.language || "en").slice(0, 2).toLowerCase();
  return LANGUAGES.includes(wanted) ? wanted : "en";
}

async function loadMessages(lang) {
  const response = await fetch(`/i18n/${lang}.json`);
  messages = (await response.json()).messages || {};
  document.documentElement.lang = lang;
  const select = document.getElementById("lang");
  if (select) select.value = lang;
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  const body = await response.json();
  return { status: response.status, body };
}

function when(ms) {
  return ms ? new Date(ms).toLocaleString() : "";
}

function showError(text) {
  const box = document.getElementById("error");
  box.textContent = text || "";
  box.hidden = !text;
}

function renderSummary(stats) {
  const outcomes = stats.outcomes || {};
  document.getElementById("count-approve").textContent = outcomes.approve || 0;
  document.getElementById("count-decline").textContent = outcomes.decline || 0;
  document.getElementById("count-review").textContent = stats.pending_reviews || 0;
  document.getElementById("count-ai").textContent = (stats.ai && stats.ai.calls) || 0;
}

function renderHealth(status, health) {
  const pill = document.getElementById("health");
  const ok = status === 200;
  pill.textContent = ok ? "All services healthy" : "Degraded";
  pill.className = "pill " + (ok ? "ok" : "bad");
  const problems = [];
  for (const [name, service] of Object.entries(health.services || {})) {
    if (!service.ok) problems.push(name + " is not running");
  }
  if (health.overseerr && !health.overseerr.ok) problems.push("Overseerr: " + health.overseerr.detail);
  pill.title = problems.join("\n");
  renderConfigErrors(health);
}

// A refused reload keeps the old configuration running; say so loudly,
// once per distinct error, with the file position the loader gave.
function renderConfigErrors(health) {
  const errors = new Map();
  for (const [name, service] of Object.entries(health.services || {})) {
    if (service.config_error) errors.set(service.config_error, name);
    for (const instance of service.instances || []) {
      if (instance.config_error) errors.set(instance.config_error, name);
    }
  }
  const box = document.getElementById("config-errors");
  box.replaceChildren();
  box.hidden = errors.size === 0;
  if (errors.size === 0) return;
  box.append(el("strong", "Configuration not reloaded: the previous configuration keeps running."));
  const list = el("ul");
  for (const [text, service] of errors) list.append(el("li", `${service}: ${text}`));
  box.append(list);
}

async function decide(requestId, action, card) {
  const reason = card.querySelector("input").value;
  const buttons = card.querySelectorAll("button");
  buttons.forEach((b) => { b.disabled = true; });
  try {
    const response = await PS.post(`/api/v1/reviews/${requestId}/${action}`,
      JSON.stringify({ reason }));
    const body = await response.json();
    if (!response.ok) showError(body.error + (body.detail ? ": " + body.detail : ""));
    else showError("");
  } catch (err) {
    showError("Request failed: " + err.message);
  }
  refresh();
}

function renderReviews(reviews) {
  const list = document.getElementById("reviews");
  list.replaceChildren();
  document.getElementById("reviews-empty").hidden = reviews.length > 0;
  for (const review of reviews) {
    const card = el("li", null, "review");
    card.dataset.requestId = review.request_id;
    const title = el("h3", review.title || `Request #${review.request_id}`);
    card.append(title);
    card.append(el("p", `${review.media_type || ""} · requested by ${review.user_name || "unknown"}`, "muted"));
    card.append(el("p", explain(review), "why"));
    if (typeof review.score === "number") {
      card.append(el("p", `AI approval score ${review.score.toFixed(2)}`, "muted"));
    }
    if (review.last_error) card.append(el("p", review.last_error, "error"));
    const reason = el("input");
    reason.type = "text";
    reason.placeholder = "Reason (optional)";
    reason.setAttribute("aria-label", "Reason");
    const approve = el("button", "Approve", "approve");
    const decline = el("button", "Decline", "decline");
    approve.type = decline.type = "button";
    approve.addEventListener("click", () => decide(review.request_id, "approve", card));
    decline.addEventListener("click", () => decide(review.request_id, "decline", card));
    const actions = el("div", null, "actions");
    actions.append(reason, approve, decline);
    card.append(actions);
    list.append(card);
  }
}

function renderDecisions(decisions) {
  const body = document.getElementById("decisions");
  body.replaceChildren();
  for (const d of decisions) {
    const row = el("tr");
    row.append(
      el("td", `#${d.request_id}`),
      el("td", d.title || ""),
      el("td", d.user_name || ""),
      el("td", d.outcome, "outcome-" + d.outcome),
      el("td", d.source + (d.rule ? ` (${d.rule})` : "")),
      el("td", explain(d)),
      el("td", when(d.decided_at)),
    );
    body.append(row);
  }
}

async function refresh() {
  try {
    const [stats, reviews, decisions, health] = await Promise.all([
      getJson("/api/v1/stats"),
      getJson("/api/v1/reviews"),
      getJson("/api/v1/decisions?limit=50"),
      getJson("/api/v1/health"),
    ]);
    renderSummary(stats.body);
    renderReviews(reviews.body.reviews || []);
    renderDecisions(decisions.body.decisions || []);
    renderHealth(health.status, health.body);
  } catch (err) {
    showError("Cannot reach the gateway: " + err.message);
  }
}

document.getElementById("scan").addEventListener("click", async () => {
  const response = await PS.post("/api/v1/scan", "{}");
  showError(response.ok ? "" : "Scan request failed");
});

document.getElementById("lang").addEventListener("change", async (event) => {
  localStorage.setItem("lang", event.target.value);
  await loadMessages(event.target.value);
  refresh();
});

PS.start().then(async (ok) => {
  if (!ok) return;
  await loadMessages(pickLanguage()).catch(() => {});
  refresh();
  setInterval(refresh, REFRESH_MS);
});
