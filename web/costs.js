// AI costs page: renders GET /api/v1/costs every 10 s, with a Chart.js
// bar chart of the cost per day (one stacked bar per model, every day of
// the last 30 shown, so a quiet day reads as zero rather than vanishing).
// Titles are untrusted text from Overseerr: textContent only (PS.el).
"use strict";

const DAYS = 30;
const REFRESH_MS = 10000;
const MODEL_COLOURS = ["#e5a00d", "#58a6ff", "#3fb950", "#bc8cff", "#f85149", "#d29922", "#39c5cf"];

const view = {
  data: null, // the last /api/v1/costs answer
  chart: null, // the Chart.js instance, made on the first answer
};

function usd(value) {
  const amount = Number(value || 0);
  return amount.toLocaleString(PS.lang, {
    style: "currency",
    currency: "USD",
    minimumFractionDigits: 2,
    maximumFractionDigits: amount > 0 && amount < 0.01 ? 6 : 4,
  });
}

function modelName(model) {
  return model || PS.t("costs.unknown_model");
}

function ms(value) {
  return PS.t("costs.ms", { ms: PS.number(Math.round(Number(value || 0))) });
}

// The local calendar day, as the gateway's by_day groups them.
function dayKey(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function dayLabel(key) {
  const [year, month, day] = key.split("-").map(Number);
  return new Date(year, month - 1, day).toLocaleDateString(PS.lang, { day: "numeric", month: "short" });
}

function row(cells) {
  const tr = PS.el("tr");
  for (const [text, className] of cells) tr.append(PS.el("td", text, className));
  return tr;
}

function renderChart(byDay) {
  if (typeof Chart === "undefined") {
    document.getElementById("cost-chart-box").hidden = true;
    document.getElementById("chart-notice").textContent = PS.t("costs.chart.unavailable");
    document.getElementById("chart-notice").hidden = false;
    return;
  }
  const keys = [];
  const today = new Date();
  for (let back = DAYS - 1; back >= 0; back--) {
    keys.push(dayKey(new Date(today.getFullYear(), today.getMonth(), today.getDate() - back)));
  }
  const models = [...new Set(byDay.map((d) => d.model || ""))].sort();
  const datasets = models.map((model, index) => {
    const perDay = new Map(byDay.filter((d) => (d.model || "") === model).map((d) => [d.day, Number(d.cost_usd || 0)]));
    const colour = MODEL_COLOURS[index % MODEL_COLOURS.length];
    return { label: modelName(model), data: keys.map((k) => perDay.get(k) || 0), backgroundColor: colour, borderColor: colour };
  });
  const labels = keys.map(dayLabel);
  if (view.chart) {
    view.chart.data.labels = labels;
    view.chart.data.datasets = datasets;
    view.chart.update("none");
    return;
  }
  view.chart = new Chart(document.getElementById("cost-chart"), {
    type: "bar",
    data: { labels, datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: { stacked: true, ticks: { color: "#9aa5b1", maxRotation: 0, autoSkip: true }, grid: { color: "#30363d" } },
        y: { stacked: true, beginAtZero: true, ticks: { color: "#9aa5b1", callback: (value) => usd(value) }, grid: { color: "#30363d" } },
      },
      plugins: {
        legend: { labels: { color: "#e8ecf1" } },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${usd(item.parsed.y)}` } },
      },
    },
  });
}

function render() {
  const data = view.data;
  if (!data) return;
  let calls = 0;
  let prompt = 0;
  let completion = 0;
  let cost = 0;
  const models = (data.by_model || []).map((m) => {
    calls += m.calls;
    prompt += m.prompt_tokens;
    completion += m.completion_tokens;
    cost += m.cost_usd;
    return row([[modelName(m.model)], [PS.number(m.calls), "number"], [PS.number(m.verdicts), "number"],
      [PS.number(m.prompt_tokens), "number"], [PS.number(m.completion_tokens), "number"],
      [usd(m.cost_usd), "number"], [ms(m.average_latency_ms), "number nowrap"]]);
  });
  document.getElementById("models").replaceChildren(...models);
  document.getElementById("calls").textContent = PS.number(calls);
  document.getElementById("tokens").textContent = `${PS.number(prompt)} / ${PS.number(completion)}`;
  document.getElementById("cost").textContent = usd(cost);
  document.getElementById("average").textContent = calls ? usd(cost / calls) : "–";
  const today = data.today || {};
  document.getElementById("today").textContent =
    `${usd(today.spent_usd)} / ${today.budget_usd > 0 ? usd(today.budget_usd) : PS.t("costs.no_budget")}`;
  const days = (data.by_day || []).map((d) => row([[d.day, "nowrap"], [modelName(d.model)], [PS.number(d.calls), "number"],
    [PS.number(d.prompt_tokens), "number"], [PS.number(d.completion_tokens), "number"], [usd(d.cost_usd), "number"]]));
  document.getElementById("days").replaceChildren(...days);
  const last = (data.last_calls || []).map((c) => row([[PS.when(c.at), "nowrap"], [`#${c.request_id}`, "nowrap"],
    [c.title || ""], [modelName(c.model)], [`${PS.number(c.prompt_tokens)} + ${PS.number(c.completion_tokens)}`, "number nowrap"],
    [usd(c.cost_usd), "number"], [ms(c.latency_ms), "number nowrap"],
    [c.http_status ? String(c.http_status) : PS.t("costs.no_answer")],
    [PS.t(c.ok ? "costs.verdict.yes" : "costs.verdict.no")]]));
  document.getElementById("calls-list").replaceChildren(...last);
  renderChart(data.by_day || []);
}

async function refresh() {
  try {
    const answer = await PS.getJson(`/api/v1/costs?days=${DAYS}&last=50`);
    if (!answer.ok) throw new Error((answer.body && answer.body.error) || answer.status);
    view.data = answer.body;
    PS.showError("");
    render();
  } catch (err) {
    PS.showError(PS.t("costs.load_failed", { error: err.message }));
  }
}

PS.start("costs").then((ok) => {
  if (!ok) return;
  document.addEventListener("ps:language", render);
  refresh();
  setInterval(refresh, REFRESH_MS);
});
