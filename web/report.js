// Staff report: one printable page from GET /api/v1/stats (totals and
// sources), /api/v1/users (each requester's record), /api/v1/decisions
// ?limit=20 (recent activity) and /api/v1/costs (AI cost over 30 days).
// A section whose API this gateway lacks shows "not available" and the
// rest still prints. The print button calls window.print(); the browser
// turns the page into a PDF with the print styles of style.css. Titles,
// names and explanations are untrusted: textContent only.
"use strict";

const data = { stats: null, users: null, decisions: null, costs: null };
const OUTCOME_KEYS = ["approve", "decline", "review"];

function table(headKeys, rows) {
  const node = PS.el("table");
  const head = PS.el("thead");
  const headRow = PS.el("tr");
  for (const key of headKeys) headRow.append(PS.el("th", PS.t(key)));
  head.append(headRow);
  const body = PS.el("tbody");
  for (const cells of rows) {
    const row = PS.el("tr");
    for (const cell of cells) {
      if (cell instanceof Node) {
        const td = PS.el("td");
        td.append(cell);
        row.append(td);
      } else {
        row.append(PS.el("td", cell));
      }
    }
    body.append(row);
  }
  node.append(head, body);
  return node;
}

function emptyOr(container, rows, build) {
  if (rows.length === 0) container.replaceChildren(PS.el("p", PS.t("report.none"), "muted"));
  else container.replaceChildren(build());
}

function totalCard(labelKey, value) {
  const box = PS.el("div", null, "card");
  box.append(PS.el("span", PS.t(labelKey), "label"), PS.el("span", value, "value"));
  return box;
}

function renderTotals() {
  const totals = document.getElementById("totals");
  const stats = data.stats;
  if (!stats || !stats.ok) {
    PSLive.unavailable(totals, stats);
    PSLive.unavailable(document.getElementById("sources"), stats);
    return;
  }
  const s = stats.body;
  const outcomes = s.outcomes || {};
  const requests = Object.values(s.states || {}).reduce((sum, n) => sum + (Number(n) || 0), 0);
  const decided = (outcomes.approve || 0) + (outcomes.decline || 0);
  const lastDay = Object.values(s.last_24h || {}).reduce((sum, n) => sum + (Number(n) || 0), 0);
  const ai = s.ai || {};
  totals.replaceChildren(
    totalCard("report.total.requests", PS.number(requests)),
    totalCard("overview.count.approve", PS.number(outcomes.approve)),
    totalCard("overview.count.decline", PS.number(outcomes.decline)),
    totalCard("overview.count.review", PS.number(s.pending_reviews)),
    totalCard("overview.count.rate", decided ? PSLive.percent(s.approval_rate) : "–"),
    totalCard("report.total.last_day", PS.number(lastDay)),
    totalCard("overview.count.ai", PS.number(ai.calls)),
    totalCard("report.total.ai_cost", PSLive.usd(ai.cost_usd)),
  );
  const sources = Object.entries(s.sources || {}).sort((a, b) => b[1] - a[1]);
  const all = sources.reduce((sum, [, n]) => sum + n, 0);
  emptyOr(document.getElementById("sources"), sources, () => table(
    ["report.col.source", "report.col.count", "report.col.share"],
    sources.map(([source, count]) => [sourceName(source), PS.number(count), PSLive.percent(all ? count / all : null)]),
  ));
}

function sourceName(source) {
  return ["rule", "ai", "learner", "staff"].includes(source) ? PS.t(`source.${source}`) : source;
}

function outcomeCell(outcome) {
  return PS.el("span", OUTCOME_KEYS.includes(outcome) ? PS.t(`outcome.${outcome}`) : outcome || "", `outcome-${outcome}`);
}

function renderUsers() {
  const box = document.getElementById("users");
  const users = data.users;
  if (!users || !users.ok || !Array.isArray(users.body.users)) {
    PSLive.unavailable(box, users);
    return;
  }
  const rows = users.body.users;
  emptyOr(box, rows, () => table(
    ["report.col.user", "report.col.requests", "overview.count.approve", "overview.count.decline",
      "overview.count.review", "overview.count.rate", "report.col.quota", "report.col.trust"],
    rows.map((u) => {
      const quota = u.quota || {};
      const quotaText = typeof quota.used === "number"
        ? (quota.limit ? `${PS.number(quota.used)} / ${PS.number(quota.limit)}` : PS.number(quota.used)) : "–";
      const trust = ["trusted", "restricted", "normal"].includes(u.trust) ? PS.t(`trust.${u.trust}`) : u.trust || "";
      return [u.name || String(u.user_id || ""), PS.number(u.requests), PS.number(u.approved), PS.number(u.declined),
        PS.number(u.in_review), PSLive.percent(u.approval_rate), quotaText, trust];
    }),
  ));
}

function renderRecent() {
  const box = document.getElementById("recent");
  const decisions = data.decisions;
  if (!decisions || !decisions.ok || !Array.isArray(decisions.body.decisions)) {
    PSLive.unavailable(box, decisions);
    return;
  }
  const rows = decisions.body.decisions;
  emptyOr(box, rows, () => table(
    ["report.col.when", "report.col.title", "report.col.user", "report.col.outcome", "report.col.by", "report.col.why"],
    rows.map((d) => [
      PS.when(d.decided_at),
      d.title || `#${d.request_id}`,
      d.user_name || "",
      outcomeCell(d.outcome),
      d.source === "staff" && d.actor ? `${sourceName("staff")} (${d.actor})` : sourceName(d.source),
      [PS.explain(d), d.reason].filter(Boolean).join(" — "),
    ]),
  ));
}

function renderCost() {
  const box = document.getElementById("cost");
  const summary = document.getElementById("cost-summary");
  const costs = data.costs;
  if (!costs || !costs.ok || !Array.isArray(costs.body.by_model)) {
    summary.textContent = "";
    PSLive.unavailable(box, costs);
    return;
  }
  const models = costs.body.by_model;
  const total = models.reduce((sum, m) => sum + (Number(m.cost_usd) || 0), 0);
  const calls = models.reduce((sum, m) => sum + (Number(m.calls) || 0), 0);
  const today = costs.body.today || {};
  summary.textContent = PS.t(today.budget_usd > 0 ? "report.cost.summary_budget" : "report.cost.summary", {
    total: PSLive.usd(total),
    calls: PS.number(calls),
    today: PSLive.usd(today.spent_usd),
    budget: PSLive.usd(today.budget_usd),
  });
  emptyOr(box, models, () => table(
    ["report.col.model", "report.col.calls", "report.col.tokens", "report.col.cost"],
    models.map((m) => [
      m.model || PS.t("report.unknown_model"),
      PS.number(m.calls),
      `${PS.number(m.prompt_tokens)} + ${PS.number(m.completion_tokens)}`,
      PSLive.usd(m.cost_usd),
    ]),
  ));
}

function render() {
  document.getElementById("generated").textContent = PS.t("report.generated", {
    when: new Date().toLocaleString(PS.lang),
    user: PS.user || "",
  });
  renderTotals();
  renderUsers();
  renderRecent();
  renderCost();
}

async function load() {
  [data.stats, data.users, data.decisions, data.costs] = await Promise.all([
    PSLive.tryJson("/api/v1/stats"),
    PSLive.tryJson("/api/v1/users"),
    PSLive.tryJson("/api/v1/decisions?limit=20"),
    PSLive.tryJson("/api/v1/costs?days=30&last=0"),
  ]);
  render();
}

PS.start("report").then((ok) => {
  if (!ok) return;
  document.getElementById("print").addEventListener("click", () => window.print());
  document.addEventListener("ps:language", render);
  load();
});
