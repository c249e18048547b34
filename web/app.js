// The overview page: counts from /api/v1/stats, today's AI spend from
// /api/v1/costs, 30 days of charts from /api/v1/stats/daily, the scan
// progress bar from /api/v1/progress (or, on a gateway without it, the
// scan status in /api/v1/health), the configuration-error banner and
// the health pill. Live over Server-Sent Events: a decision or a review
// refreshes the counts (coalesced, so a scan of 300 requests does not
// mean 300 fetches), a progress event moves the bar; without the stream
// everything is polled every 10 s. Untrusted text (service details,
// config errors) goes through textContent only.
"use strict";

const POLL_MS = 10000;
const HEALTH_MS = 15000;
const COLORS = {
  approve: "#3fb950",
  decline: "#f85149",
  review: "#d29922",
  rule: "#58a6ff",
  ai: "#bc8cff",
  learner: "#39c5cf",
  staff: "#e5a00d",
  rate: "#3fb950",
  cost: "#e5a00d",
};
const OUTCOMES = ["approve", "decline", "review"];
const SOURCES = ["rule", "ai", "learner", "staff"];
const AGREEMENT_SOURCES = ["rule", "ai", "learner"];

const state = { stats: null, costs: null, daily: null, health: null, progress: null, charts: {} };

function setText(id, text) {
  document.getElementById(id).textContent = text;
}

function renderSummary() {
  const stats = state.stats;
  if (stats) {
    const outcomes = stats.outcomes || {};
    setText("count-approve", PS.number(outcomes.approve));
    setText("count-decline", PS.number(outcomes.decline));
    setText("count-review", PS.number(stats.pending_reviews));
    setText("count-ai", PS.number(stats.ai && stats.ai.calls));
    const decided = (outcomes.approve || 0) + (outcomes.decline || 0);
    setText("approval-rate", decided ? PSLive.percent(stats.approval_rate) : "–");
  }
  const today = state.costs && state.costs.today;
  setText("ai-today", today ? PSLive.usd(today.spent_usd) : "–");
  setText("ai-budget", today && today.budget_usd > 0
    ? PS.t("overview.budget", { budget: PSLive.usd(today.budget_usd) }) : "");
}

async function loadCounts() {
  const [stats, costs] = await Promise.all([
    PSLive.tryJson("/api/v1/stats"),
    PSLive.tryJson("/api/v1/costs?days=1&last=0"),
  ]);
  if (stats.ok) state.stats = stats.body;
  if (costs.ok) state.costs = costs.body;
  PS.showError(stats.ok ? "" : PS.t("overview.error.stats", { reason: PSLive.failure(stats) }));
  renderSummary();
}

// ---- health pill and configuration errors ------------------------------

function renderHealth() {
  const health = state.health;
  const pill = document.getElementById("health");
  if (!health || !health.services) {
    pill.hidden = true;
    return;
  }
  const problems = [];
  for (const [name, service] of Object.entries(health.services)) {
    if (!service.ok) problems.push(PS.t("overview.health.down", { service: name }));
  }
  if (health.overseerr && !health.overseerr.ok) {
    problems.push(PS.t("overview.health.overseerr", { detail: health.overseerr.detail || "" }));
  }
  if (health.database && !health.database.ok) {
    problems.push(PS.t("overview.health.database", { detail: health.database.detail || "" }));
  }
  const ok = health.status === "ok";
  pill.hidden = false;
  pill.textContent = PS.t(ok ? "overview.health.ok" : "overview.health.degraded");
  pill.className = `pill ${ok ? "ok" : "bad"}`;
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
  box.append(PS.el("strong", PS.t("overview.config_errors")));
  const list = PS.el("ul");
  for (const [text, service] of errors) list.append(PS.el("li", `${service}: ${text}`));
  box.append(list);
}

// ---- progress -----------------------------------------------------------

// The progress object of /api/v1/progress, or the scan status that
// /api/v1/health carries on gateways without that route.
function currentProgress() {
  if (state.progress) return state.progress;
  const scan = state.health && state.health.scan;
  if (!scan) return null;
  return { running: scan.running, done: scan.done, total: scan.total, rate_per_s: null, eta_s: null, backlog: 0 };
}

function renderProgress() {
  const progress = currentProgress();
  const box = document.getElementById("progress");
  const active = progress && (progress.running || progress.backlog > 0);
  box.hidden = !active;
  if (!active) return;
  const bar = document.getElementById("progress-bar");
  const total = Math.max(Number(progress.total) || 0, Number(progress.done) || 0);
  if (total > 0) {
    bar.max = total;
    bar.value = Number(progress.done) || 0;
  } else {
    bar.removeAttribute("value");
  }
  const parts = [PS.t("overview.progress.count", { done: PS.number(progress.done), total: PS.number(progress.total) })];
  if (typeof progress.rate_per_s === "number") {
    parts.push(PS.t("overview.progress.rate", { rate: PS.number(progress.rate_per_s, 1) }));
  }
  if (typeof progress.eta_s === "number") {
    parts.push(PS.t("overview.progress.eta", { eta: PSLive.duration(progress.eta_s) }));
  }
  if (progress.backlog > 0) parts.push(PS.t("overview.progress.backlog", { count: PS.number(progress.backlog) }));
  document.getElementById("progress-text").textContent = parts.join(" · ");
}

async function loadProgress() {
  const answer = await PSLive.tryJson("/api/v1/progress");
  state.progress = answer.ok ? answer.body : null;
  renderProgress();
}

async function loadHealth() {
  const answer = await PSLive.tryJson("/api/v1/health");
  // 503 still carries the full report: degraded is an answer too.
  state.health = answer.body && answer.body.services ? answer.body : null;
  renderHealth();
  renderProgress();
}

// ---- charts ---------------------------------------------------------------

function chartDefaults() {
  Chart.defaults.color = "#9aa5b1";
  Chart.defaults.borderColor = "#30363d";
  Chart.defaults.font.family = "system-ui, sans-serif";
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;
}

// Axis steps of a cost chart can be $0.002: show as many digits as the
// largest value needs to keep the steps apart.
function costTick(value, index, ticks) {
  const top = Math.max(...ticks.map((tick) => Math.abs(tick.value)));
  return PSLive.usd(value, top >= 10 ? 0 : top >= 0.1 ? 2 : top >= 0.01 ? 3 : 4);
}

function makeChart(id, type, options) {
  const canvas = document.getElementById(id);
  return new Chart(canvas, { type, data: { labels: [], datasets: [] }, options });
}

function buildCharts() {
  chartDefaults();
  const stacked = { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } };
  state.charts.outcomes = makeChart("chart-outcomes", "bar", { scales: stacked });
  state.charts.sources = makeChart("chart-sources", "bar", { scales: stacked });
  state.charts.rate = makeChart("chart-rate", "line", {
    scales: { y: { min: 0, max: 1, ticks: { callback: (value) => PSLive.percent(value) } } },
    plugins: { legend: { display: false }, tooltip: { callbacks: { label: (ctx) => PSLive.percent(ctx.parsed.y) } } },
    spanGaps: true,
  });
  state.charts.cost = makeChart("chart-cost", "bar", {
    scales: { y: { beginAtZero: true, ticks: { callback: costTick } } },
    plugins: { legend: { display: false }, tooltip: { callbacks: { label: (ctx) => PSLive.usd(ctx.parsed.y) } } },
  });
  state.charts.agreement = makeChart("chart-agreement", "bar", {
    indexAxis: "y",
    scales: { x: { min: 0, max: 1, ticks: { callback: (value) => PSLive.percent(value) } } },
    plugins: { legend: { display: false }, tooltip: { callbacks: { label: (ctx) => PSLive.percent(ctx.parsed.x) } } },
  });
}

function renderCharts() {
  const daily = state.daily;
  if (!daily || !state.charts.outcomes) return;
  const days = daily.days || [];
  const labels = days.map((d) => PSLive.day(d.day));
  const series = (group, key) => days.map((d) => (d[group] && d[group][key]) || 0);
  const bars = (group, keys) => keys.map((key) => ({
    label: PS.t(`${group === "outcomes" ? "outcome" : "source"}.${key}`),
    data: series(group, key),
    backgroundColor: COLORS[key],
  }));
  const set = (chart, chartLabels, datasets) => {
    chart.data.labels = chartLabels;
    chart.data.datasets = datasets;
    chart.update();
  };
  set(state.charts.outcomes, labels, bars("outcomes", OUTCOMES));
  set(state.charts.sources, labels, bars("sources", SOURCES));
  set(state.charts.rate, labels, [{
    label: PS.t("overview.chart.rate"),
    data: days.map((d) => (typeof d.approval_rate === "number" ? d.approval_rate : null)),
    borderColor: COLORS.rate,
    backgroundColor: COLORS.rate,
    tension: 0.2,
  }]);
  set(state.charts.cost, labels, [{
    label: PS.t("overview.chart.cost"),
    data: days.map((d) => Number(d.ai_cost_usd) || 0),
    backgroundColor: COLORS.cost,
  }]);
  const agreement = daily.agreement || {};
  set(state.charts.agreement, AGREEMENT_SOURCES.map((s) => PS.t(`source.${s}`)), [{
    label: PS.t("overview.chart.agreement"),
    data: AGREEMENT_SOURCES.map((s) => (agreement[s] && typeof agreement[s].rate === "number" ? agreement[s].rate : null)),
    backgroundColor: AGREEMENT_SOURCES.map((s) => COLORS[s]),
  }]);
  const list = document.getElementById("agreement");
  list.replaceChildren();
  for (const source of AGREEMENT_SOURCES) {
    const entry = agreement[source] || {};
    const text = entry.compared
      ? PS.t("overview.agreement.line", {
        source: PS.t(`source.${source}`),
        rate: PSLive.percent(entry.rate),
        agreed: PS.number(entry.agreed),
        compared: PS.number(entry.compared),
      })
      : PS.t("overview.agreement.none", { source: PS.t(`source.${source}`) });
    list.append(PS.el("li", text));
  }
}

// /api/v1/stats/daily gives one entry per local day (its AI cost under
// ai.cost_usd, the agreement of each source with staff per day); the
// charts want the days oldest first and the agreement over the period.
function summarizeDaily(daily) {
  const days = daily.slice().sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  const agreement = {};
  for (const source of AGREEMENT_SOURCES) {
    let agreed = 0;
    let compared = 0;
    for (const day of days) {
      const entry = (day.agreement || {})[source] || {};
      agreed += Number(entry.agreed) || 0;
      compared += Number(entry.compared) || 0;
    }
    agreement[source] = { agreed, compared, rate: compared ? agreed / compared : null };
  }
  return {
    days: days.map((day) => ({ ...day, ai_cost_usd: (day.ai && day.ai.cost_usd) || 0 })),
    agreement,
  };
}

function showChartsUnavailable(answer) {
  const note = document.getElementById("charts-unavailable");
  note.hidden = false;
  note.textContent = PS.t("overview.charts.unavailable");
  if (answer && answer.status && answer.status !== 404) note.textContent += ` (${PSLive.failure(answer)})`;
  for (const figure of document.querySelectorAll("#charts figure")) figure.hidden = true;
}

async function loadDaily() {
  if (typeof Chart === "undefined") {
    showChartsUnavailable(null);
    return;
  }
  const answer = await PSLive.tryJson("/api/v1/stats/daily?days=30");
  if (!answer.ok || !Array.isArray(answer.body.daily)) {
    showChartsUnavailable(answer);
    return;
  }
  document.getElementById("charts-unavailable").hidden = true;
  for (const figure of document.querySelectorAll("#charts figure")) figure.hidden = false;
  state.daily = summarizeDaily(answer.body.daily);
  if (!state.charts.outcomes) buildCharts();
  renderCharts();
}

// ---- scan -----------------------------------------------------------------

async function requestScan() {
  const button = document.getElementById("scan");
  const status = document.getElementById("scan-status");
  button.disabled = true;
  try {
    const response = await PS.post("/api/v1/scan", "{}");
    let body = {};
    try {
      body = await response.json();
    } catch (err) {
      body = {};
    }
    status.textContent = response.ok
      ? PS.t("overview.scan.started")
      : PS.t("overview.scan.failed", { reason: body.error || `HTTP ${response.status}` });
  } catch (err) {
    status.textContent = PS.t("overview.scan.failed", { reason: PS.t("common.unreachable") });
  }
  button.disabled = false;
  setTimeout(() => {
    loadProgress();
    loadHealth();
  }, 1000);
}

// ---- wiring ---------------------------------------------------------------

function rerender() {
  renderSummary();
  renderHealth();
  renderProgress();
  renderCharts();
  if (!document.getElementById("charts-unavailable").hidden) showChartsUnavailable(null);
}

function pollAll() {
  loadCounts();
  loadProgress();
  loadHealth();
}

PS.start("overview").then((ok) => {
  if (!ok) return;
  const scan = document.getElementById("scan");
  scan.hidden = !PS.can("staff");
  scan.addEventListener("click", requestScan);
  document.addEventListener("ps:language", rerender);
  pollAll();
  loadDaily();
  const countsSoon = PSLive.coalesce(loadCounts, 500);
  const chartsSoon = PSLive.coalesce(loadDaily, 5000);
  const changed = () => {
    countsSoon();
    chartsSoon();
  };
  PSLive.follow({
    decision: changed,
    review: changed,
    review_done: changed,
    applied: changed,
    progress: (data) => {
      state.progress = data;
      renderProgress();
    },
  }, pollAll, POLL_MS);
  setInterval(loadHealth, HEALTH_MS);
  setInterval(loadDaily, 5 * 60000);
});
