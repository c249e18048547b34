// Backtest page: posts the draft to /api/v1/backtest and renders the
// report. Titles come from Overseerr and are untrusted: textContent only.
"use strict";

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function ratio(part, whole) {
  return whole ? `${part}/${whole} (${Math.round((100 * part) / whole)}%)` : "no reviews";
}

function describe(outcome, rule) {
  if (outcome === "ai") return "left to the AI";
  return rule ? `${outcome} (${rule})` : outcome;
}

function showErrors(lines) {
  const box = document.getElementById("errors");
  box.replaceChildren();
  box.hidden = lines.length === 0;
  if (!lines.length) return;
  const list = el("ul");
  for (const line of lines) list.append(el("li", line));
  box.append(el("strong", "The draft was not run:"), list);
}

function render(report) {
  document.getElementById("result").hidden = false;
  document.getElementById("total").textContent = report.total;
  document.getElementById("changed").textContent = report.changed;
  const agreement = report.agreement || {};
  document.getElementById("agree-recorded").textContent = ratio(agreement.recorded, agreement.reviewed);
  document.getElementById("agree-draft").textContent = ratio(agreement.draft, agreement.reviewed);
  const rules = document.getElementById("rules");
  rules.replaceChildren();
  for (const [rule, counts] of Object.entries(report.by_rule || {})) {
    const row = el("tr");
    row.append(el("td", rule), el("td", counts.decides), el("td", counts.flips));
    rules.append(row);
  }
  const changes = document.getElementById("changes");
  changes.replaceChildren();
  for (const c of report.changes || []) {
    const row = el("tr");
    row.append(
      el("td", `#${c.request_id}`),
      el("td", c.title),
      el("td", describe(c.before, c.before_rule)),
      el("td", describe(c.after, c.after_rule)),
      el("td", c.staff || ""),
    );
    changes.append(row);
  }
}

document.getElementById("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const last = document.getElementById("last").value || "200";
  try {
    const response = await PS.post(`/api/v1/backtest?last=${encodeURIComponent(last)}`,
      document.getElementById("draft").value, "application/yaml");
    const body = await response.json();
    if (!response.ok) {
      showErrors(body.errors || [body.error]);
      return;
    }
    showErrors([]);
    render(body);
  } catch (err) {
    showErrors(["Cannot reach the gateway: " + err.message]);
  }
});

PS.start();
