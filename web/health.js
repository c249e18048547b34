// Health page: renders GET /api/v1/health (services/api-gateway/
// gw_health.c): per service its ok flag and instances (alive, last beat,
// start, config version, refused reload), the gateway itself, then
// Overseerr, the LLM (circuit breaker, budget, and a probe when the
// gateway reports one), the database, any other probe a newer gateway
// adds, and the scan. A 503 answer is the same report saying "degraded",
// so it is rendered, not treated as an error. Refreshed every 5 s;
// details are untrusted text (textContent).
"use strict";

const REFRESH_MS = 5000;
let last = null;

function pill(ok, okKey, badKey) {
  return PS.el("span", PS.t(ok ? okKey || "health.ok" : badKey || "health.down"), `pill ${ok ? "ok" : "bad"}`);
}

function card(title, ok, okKey, badKey) {
  const box = PS.el("article", null, "health-card");
  const head = PS.el("div", null, "health-head");
  head.append(PS.el("h4", title), pill(ok, okKey, badKey));
  box.append(head);
  return box;
}

function line(box, key, params, className) {
  box.append(PS.el("p", PS.t(key, params), className || "muted small"));
}

function ago(ms) {
  return PSLive.duration(Math.round((Number(ms) || 0) / 1000));
}

function instanceItem(instance) {
  const item = PS.el("li", null, instance.alive ? "" : "stale");
  item.append(PS.el("code", instance.instance || "?"));
  item.append(PS.el("span", PS.t(instance.alive ? "health.alive" : "health.silent"),
    `tag ${instance.alive ? "outcome-approve" : "outcome-decline"}`));
  const facts = [PS.t("health.seen", { ago: ago(instance.last_seen_ms_ago) })];
  if (instance.started_at) facts.push(PS.t("health.started", { when: PS.when(instance.started_at) }));
  if (instance.config_version) facts.push(PS.t("health.config_version", { version: instance.config_version }));
  item.append(PS.el("span", facts.join(" · "), "muted small block"));
  if (instance.config_error) {
    item.append(PS.el("span", PS.t("health.config_error", { error: instance.config_error }), "error-text block"));
  }
  return item;
}

function serviceCard(name, service) {
  const box = card(name, service.ok);
  if (service.config_version) line(box, "health.config_version", { version: service.config_version });
  if (service.config_error) line(box, "health.config_error", { error: service.config_error }, "error-text");
  const instances = service.instances;
  if (Array.isArray(instances)) {
    if (instances.length === 0) line(box, "health.no_instance");
    const items = PS.el("ul", null, "instances");
    for (const instance of instances) items.append(instanceItem(instance));
    box.append(items);
  }
  return box;
}

// Overseerr, the database, and any other {ok, detail, checked_at} probe.
function probeCard(title, probe) {
  const box = card(title, Boolean(probe.ok));
  if (probe.detail) box.append(PS.el("p", probe.detail, "small"));
  if (probe.checked_at) line(box, "health.checked", { when: PS.when(probe.checked_at) });
  return box;
}

// Checks a newer gateway reports that this page has no card for: any
// {ok, detail} member, or a group of them ("databases": {"feedback": …}).
const KNOWN = ["status", "services", "overseerr", "llm", "ai", "database", "scan"];

function label(name) {
  return Object.prototype.hasOwnProperty.call(PS.ui, `health.${name}`) ? PS.t(`health.${name}`) : name;
}

function otherProbes(health) {
  const found = [];
  for (const [name, value] of Object.entries(health)) {
    if (KNOWN.includes(name) || !value || typeof value !== "object") continue;
    if (typeof value.ok === "boolean") {
      found.push([label(name), value]);
      continue;
    }
    for (const [part, probe] of Object.entries(value)) {
      if (probe && typeof probe.ok === "boolean") found.push([`${label(name)}: ${part}`, probe]);
    }
  }
  return found;
}

function llmCard(health) {
  const ai = health.ai || {};
  const probe = health.llm;
  const breakerClosed = !ai.breaker || ai.breaker === "closed";
  const ok = probe ? Boolean(probe.ok) && breakerClosed : breakerClosed;
  const box = card(PS.t("health.llm"), ok);
  if (probe && probe.detail) box.append(PS.el("p", probe.detail, "small"));
  if (probe && probe.checked_at) line(box, "health.checked", { when: PS.when(probe.checked_at) });
  if (ai.breaker) {
    const known = ["closed", "open", "half-open"].includes(ai.breaker);
    line(box, "health.breaker", { state: known ? PS.t(`health.breaker.${ai.breaker}`) : ai.breaker });
  }
  if (typeof ai.budget_usd === "number") {
    line(box, ai.budget_usd > 0 ? "health.budget" : "health.no_budget", {
      budget: PSLive.usd(ai.budget_usd),
      reserved: PSLive.usd(ai.reserved_usd),
    });
  }
  return box;
}

function scanCard(scan) {
  const box = card(PS.t("health.scan"), true, scan.running ? "health.scan.running" : "health.scan.idle");
  box.querySelector(".pill").className = `pill ${scan.running ? "warn" : ""}`.trim();
  if (scan.total || scan.done) line(box, "health.scan.count", { done: PS.number(scan.done), total: PS.number(scan.total) });
  if (scan.running && scan.total > 0) {
    const bar = PS.el("progress");
    bar.max = scan.total;
    bar.value = scan.done || 0;
    box.append(bar);
  }
  if (scan.detail) box.append(PS.el("p", scan.detail, "small"));
  if (scan.at) line(box, "health.scan.at", { when: PS.when(scan.at) });
  return box;
}

function render() {
  const health = last;
  const services = document.getElementById("services");
  const checks = document.getElementById("checks");
  const overall = document.getElementById("overall");
  if (!health || !health.services) {
    overall.textContent = "";
    PSLive.unavailable(services, null);
    checks.replaceChildren();
    return;
  }
  const ok = health.status === "ok";
  overall.textContent = PS.t(ok ? "health.all_ok" : "health.degraded");
  overall.className = `pill ${ok ? "ok" : "bad"}`;
  services.replaceChildren();
  for (const [name, service] of Object.entries(health.services)) services.append(serviceCard(name, service || {}));
  checks.replaceChildren();
  if (health.overseerr) checks.append(probeCard(PS.t("health.overseerr"), health.overseerr));
  checks.append(llmCard(health));
  if (health.database) checks.append(probeCard(PS.t("health.database"), health.database));
  for (const [name, probe] of otherProbes(health)) checks.append(probeCard(name, probe));
  if (health.scan) checks.append(scanCard(health.scan));
  document.getElementById("updated").textContent = PS.t("health.updated", {
    when: new Date().toLocaleTimeString(PS.lang),
    every: PSLive.duration(REFRESH_MS / 1000),
  });
}

async function refresh() {
  const answer = await PSLive.tryJson("/api/v1/health");
  if (answer.body && answer.body.services) {
    last = answer.body;
    PS.showError("");
  } else {
    PS.showError(PS.t("health.error", { reason: PSLive.failure(answer) }));
  }
  render();
}

PS.start("health").then((ok) => {
  if (!ok) return;
  document.addEventListener("ps:language", render);
  refresh();
  setInterval(refresh, REFRESH_MS);
});
