// History page: GET /api/v1/decisions with the filters of form#filters,
// 50 rows at a time (button#more follows next_cursor), and a#csv pointing
// at /api/v1/decisions.csv with the same filters.
//
// The form's field names are the API's query parameters, so the URL
// query, the JSON request and the CSV link are one and the same string:
// a bookmarked view reloads with its filters, and the export holds
// exactly the rows on screen (and the ones "Load more" would add).
// Titles, requesters, reasons and AI explanations are untrusted text:
// textContent only (PS.el).
"use strict";

const FILTERS = ["outcome", "source", "user", "media_type", "from", "to", "q"];
const PAGE_SIZE = 50;
const TYPING_PAUSE_MS = 300;

const view = {
  decisions: [], // rows loaded so far for the current filters
  cursor: null, // next_cursor of the last page, null when none is left
  query: null, // the filters' query string the rows belong to
  generation: 0, // bumped on every filter change; late answers are dropped
  notice: null, // [key, params] of the message shown above the table
  typing: 0, // timer of the pending filter change
};

function form() {
  return document.getElementById("filters");
}

// The filters as a query string: only the fields that are set, in the
// order of FILTERS, so the same view always gives the same URL.
function filterQuery() {
  const data = new FormData(form());
  const params = new URLSearchParams();
  for (const name of FILTERS) {
    const value = String(data.get(name) || "").trim();
    if (value) params.set(name, value);
  }
  return params.toString();
}

function fillFormFromUrl() {
  const params = new URLSearchParams(location.search);
  for (const name of FILTERS) {
    const field = form().elements.namedItem(name);
    if (field && params.has(name)) field.value = params.get(name);
  }
}

function usd(value) {
  const amount = Number(value || 0);
  return amount.toLocaleString(PS.lang, {
    style: "currency",
    currency: "USD",
    minimumFractionDigits: 2,
    maximumFractionDigits: amount > 0 && amount < 0.01 ? 6 : 4,
  });
}

// Date and time without seconds: the column stays narrow, and wraps
// between the two on a phone.
function shortWhen(ms) {
  return ms ? new Date(ms).toLocaleString(PS.lang, { dateStyle: "short", timeStyle: "short" }) : "";
}

// A translated word for an API value, or the value itself when the
// page does not know it (a newer gateway may add sources).
function word(prefix, value) {
  const key = `${prefix}.${value}`;
  return Object.prototype.hasOwnProperty.call(PS.ui, key) ? PS.t(key) : String(value || "");
}

function showNotice(key, params) {
  view.notice = key ? [key, params || {}] : null;
  const box = document.getElementById("notice");
  box.textContent = key ? PS.t(key, params) : "";
  box.hidden = !key;
}

function sourceCell(decision) {
  const cell = PS.el("td", null, "source");
  cell.append(PS.el("span", word("history.source", decision.source)));
  let detail = "";
  if (decision.source === "staff" && decision.actor) detail = PS.t("history.by", { actor: decision.actor });
  else if (decision.source === "ai") detail = decision.model || "";
  else detail = decision.rule || "";
  if (detail) cell.append(PS.el("span", detail, "muted detail"));
  return cell;
}

function decisionRow(decision) {
  const row = PS.el("tr");
  row.dataset.id = String(decision.id);
  row.append(PS.el("td", `#${decision.request_id}`, "nowrap"));
  row.append(PS.el("td", decision.title || "", "title-cell"));
  const requester = PS.el("td");
  if (decision.user_name) {
    const link = PS.el("a", decision.user_name);
    link.href = `/history.html?${new URLSearchParams({ user: decision.user_name })}`;
    requester.append(link);
  }
  row.append(requester);
  row.append(PS.el("td", word("history.media", decision.media_type), "nowrap"));
  const outcome = PS.el("td", null, "nowrap");
  outcome.append(PS.el("span", word("history.outcome", decision.outcome), `outcome-${decision.outcome}`));
  row.append(outcome);
  row.append(sourceCell(decision));
  row.append(PS.el("td", PS.explain(decision), "explanation"));
  row.append(PS.el("td", decision.reason || ""));
  const cost = PS.el("td", Number(decision.cost_usd) > 0 ? usd(decision.cost_usd) : "–", "nowrap number");
  if (Number(decision.tokens) > 0) cost.title = PS.t("history.tokens", { tokens: PS.number(decision.tokens) });
  row.append(cost);
  row.append(PS.el("td", shortWhen(decision.decided_at), "when"));
  return row;
}

function render() {
  const body = document.getElementById("decisions");
  body.replaceChildren(...view.decisions.map(decisionRow));
  const count = view.decisions.length;
  const loaded = view.query !== null && !view.notice;
  document.getElementById("empty").hidden = !(loaded && count === 0);
  document.getElementById("more").hidden = !view.cursor;
  document.getElementById("summary").textContent = loaded
    ? PS.t(view.cursor ? "history.count_more" : "history.count", { count: PS.number(count) })
    : "";
}

async function loadPage(append) {
  const generation = view.generation;
  const params = new URLSearchParams(view.query);
  params.set("limit", String(PAGE_SIZE));
  if (append && view.cursor) params.set("cursor", view.cursor);
  const more = document.getElementById("more");
  more.disabled = true;
  try {
    const answer = await PS.getJson(`/api/v1/decisions?${params}`);
    if (generation !== view.generation) return;
    if (answer.status === 404) {
      showNotice("history.unavailable");
      view.decisions = [];
      view.cursor = null;
    } else if (!answer.ok) {
      showNotice("history.refused", { error: (answer.body && answer.body.error) || answer.status });
      view.decisions = [];
      view.cursor = null;
    } else {
      showNotice(null);
      const rows = Array.isArray(answer.body.decisions) ? answer.body.decisions : [];
      view.decisions = append ? view.decisions.concat(rows) : rows;
      view.cursor = answer.body.next_cursor || null;
    }
    PS.showError("");
  } catch (err) {
    if (generation !== view.generation) return;
    PS.showError(PS.t("history.load_failed", { error: err.message }));
  } finally {
    more.disabled = false;
  }
  render();
}

// Applies the form's filters: URL, CSV link, then the first page.
function applyFilters() {
  clearTimeout(view.typing);
  const query = filterQuery();
  document.getElementById("csv").href = `/api/v1/decisions.csv?${query}`;
  if (query === view.query) return;
  view.query = query;
  view.generation += 1;
  view.decisions = [];
  view.cursor = null;
  const url = `${location.pathname}${query ? `?${query}` : ""}`;
  window.history.replaceState(null, "", url);
  const data = new FormData(form());
  const from = data.get("from");
  const to = data.get("to");
  if (from && to && to < from) {
    showNotice("history.bad_range");
    render();
    return;
  }
  render();
  loadPage(false);
}

function applySoon() {
  clearTimeout(view.typing);
  view.typing = setTimeout(applyFilters, TYPING_PAUSE_MS);
}

PS.start("history").then((ok) => {
  if (!ok) return;
  fillFormFromUrl();
  const filters = form();
  filters.addEventListener("input", (event) => {
    if (event.target.type === "search") applySoon();
  });
  filters.addEventListener("change", applyFilters);
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    applyFilters();
  });
  // The reset event fires before the fields are cleared.
  filters.addEventListener("reset", () => setTimeout(applyFilters, 0));
  document.getElementById("more").addEventListener("click", () => loadPage(true));
  document.addEventListener("ps:language", () => {
    showNotice(...(view.notice || [null]));
    render();
  });
  applyFilters();
});
