// AI costs page: renders GET /api/v1/costs. Titles are untrusted text
// from Overseerr: textContent only.
"use strict";

function el(tag, text) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function usd(value) {
  const n = Number(value || 0);
  return "$" + (n < 0.01 && n > 0 ? n.toFixed(6) : n.toFixed(4));
}

function row(cells) {
  const tr = el("tr");
  for (const cell of cells) tr.append(el("td", cell));
  return tr;
}

async function refresh() {
  try {
    const response = await fetch("/api/v1/costs?days=30&last=50");
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || response.status);
    let calls = 0, prompt = 0, completion = 0, cost = 0;
    const models = document.getElementById("models");
    models.replaceChildren();
    for (const m of data.by_model) {
      calls += m.calls; prompt += m.prompt_tokens; completion += m.completion_tokens; cost += m.cost_usd;
      models.append(row([m.model || "(unknown)", m.calls, m.verdicts, m.prompt_tokens,
        m.completion_tokens, usd(m.cost_usd), `${Math.round(m.average_latency_ms || 0)} ms`]));
    }
    document.getElementById("calls").textContent = calls;
    document.getElementById("tokens").textContent = `${prompt} / ${completion}`;
    document.getElementById("cost").textContent = usd(cost);
    document.getElementById("average").textContent = calls ? usd(cost / calls) : "–";
    const today = data.today || {};
    document.getElementById("today").textContent =
      usd(today.spent_usd) + " / " + (today.budget_usd > 0 ? usd(today.budget_usd) : "no budget");
    const days = document.getElementById("days");
    days.replaceChildren();
    for (const d of data.by_day) {
      days.append(row([d.day, d.model || "(unknown)", d.calls, d.prompt_tokens, d.completion_tokens, usd(d.cost_usd)]));
    }
    const list = document.getElementById("calls-list");
    list.replaceChildren();
    for (const c of data.last_calls) {
      list.append(row([new Date(c.at).toLocaleString(), `#${c.request_id}`, c.title || "", c.model || "",
        `${c.prompt_tokens} + ${c.completion_tokens}`, usd(c.cost_usd), `${c.latency_ms} ms`,
        c.http_status || "no answer", c.ok ? "yes" : "no"]));
    }
    document.getElementById("error").hidden = true;
  } catch (err) {
    const box = document.getElementById("error");
    box.textContent = "Cannot load costs: " + err.message;
    box.hidden = false;
  }
}

PS.start().then((ok) => {
  if (!ok) return;
  refresh();
  setInterval(refresh, 10000);
});
