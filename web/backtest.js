// Backtest page: posts the draft to /api/v1/backtest and renders the
// report. Titles come from Overseerr and are untrusted: textContent only
// (PS.el). The last report and error list are kept so a language switch
// re-renders them in the new language.
"use strict";

const OUTCOMES = ["approve", "decline", "review"];

const view = {
  report: null, // the last successful report
  errors: [], // [key, params] or the gateway's own lines, of the last refusal
};

function ratio(part, whole) {
  if (!whole) return PS.t("backtest.no_reviews");
  const rate = (part / whole).toLocaleString(PS.lang, { style: "percent", maximumFractionDigits: 0 });
  return `${PS.number(part)}/${PS.number(whole)} (${rate})`;
}

function outcomeName(outcome) {
  return OUTCOMES.includes(outcome) ? PS.t(`backtest.outcome.${outcome}`) : String(outcome || "");
}

function describe(outcome, rule) {
  if (outcome === "ai") return PS.t("backtest.left_to_ai");
  return rule ? `${outcomeName(outcome)} (${rule})` : outcomeName(outcome);
}

function renderErrors() {
  const box = document.getElementById("errors");
  box.replaceChildren();
  box.hidden = view.errors.length === 0;
  if (!view.errors.length) return;
  const list = PS.el("ul");
  for (const line of view.errors) list.append(PS.el("li", Array.isArray(line) ? PS.t(...line) : line));
  box.append(PS.el("strong", PS.t("backtest.not_run")), list);
}

function renderReport() {
  const report = view.report;
  document.getElementById("result").hidden = !report;
  if (!report) return;
  document.getElementById("total").textContent = PS.number(report.total);
  document.getElementById("changed").textContent = PS.number(report.changed);
  const agreement = report.agreement || {};
  document.getElementById("agree-recorded").textContent = ratio(agreement.recorded, agreement.reviewed);
  document.getElementById("agree-draft").textContent = ratio(agreement.draft, agreement.reviewed);
  const rules = Object.entries(report.by_rule || {}).map(([rule, counts]) => {
    const row = PS.el("tr");
    row.append(PS.el("td", rule === "(ai)" ? PS.t("backtest.rule_ai") : rule),
      PS.el("td", PS.number(counts.decides), "number"), PS.el("td", PS.number(counts.flips), "number"));
    return row;
  });
  document.getElementById("rules").replaceChildren(...rules);
  const changes = (report.changes || []).map((c) => {
    const row = PS.el("tr");
    row.append(
      PS.el("td", `#${c.request_id}`, "nowrap"),
      PS.el("td", c.title),
      PS.el("td", describe(c.before, c.before_rule)),
      PS.el("td", describe(c.after, c.after_rule)),
      PS.el("td", c.staff ? outcomeName(c.staff) : ""),
    );
    return row;
  });
  document.getElementById("changes").replaceChildren(...changes);
}

document.getElementById("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const last = document.getElementById("last").value || "200";
  try {
    const response = await PS.post(`/api/v1/backtest?last=${encodeURIComponent(last)}`,
      document.getElementById("draft").value, "application/yaml");
    const body = await response.json();
    if (!response.ok) {
      view.errors = body.errors || [body.error || String(response.status)];
    } else {
      view.errors = [];
      view.report = body;
    }
  } catch (err) {
    view.errors = [["backtest.unreachable", { error: err.message }]];
  }
  renderErrors();
  renderReport();
});

PS.start("backtest").then((ok) => {
  if (!ok) return;
  document.addEventListener("ps:language", () => {
    renderErrors();
    renderReport();
  });
});
