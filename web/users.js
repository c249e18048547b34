// Users page: GET /api/v1/users, one row per requester. The search box
// filters the loaded rows on the name (no round trip); a click on a row
// opens history.html?user=<name>. Names come from Overseerr: untrusted,
// textContent only.
"use strict";

const TRUST_LEVELS = ["trusted", "normal", "restricted"];

const view = {
  users: null, // the last /api/v1/users answer's rows, null before it
  notice: null, // [key, params] of the message shown above the table
};

function historyLink(name) {
  return `/history.html?${new URLSearchParams({ user: name })}`;
}

function percent(rate) {
  if (rate === null || rate === undefined) return "–";
  return Number(rate).toLocaleString(PS.lang, { style: "percent", maximumFractionDigits: 0 });
}

// "used / limit" with a small bar; no bar when there is no limit.
function quotaCell(quota) {
  const cell = PS.el("td", null, "quota");
  const used = Number((quota && quota.used) || 0);
  const limit = quota && quota.limit !== null && quota.limit !== undefined ? Number(quota.limit) : null;
  const label = limit === null
    ? PS.t("users.quota.unlimited", { used: PS.number(used) })
    : PS.t("users.quota.used", { used: PS.number(used), limit: PS.number(limit) });
  cell.append(PS.el("span", label, "quota-text"));
  if (limit !== null) {
    const bar = PS.el("span", null, "bar");
    const fill = PS.el("span", null, used >= limit ? "bar-fill full" : "bar-fill");
    fill.style.width = `${limit > 0 ? Math.min(100, Math.round((100 * used) / limit)) : 100}%`;
    bar.append(fill);
    bar.setAttribute("role", "img");
    bar.setAttribute("aria-label", label);
    cell.append(bar);
  }
  cell.title = PS.t("users.quota.days", { days: (quota && quota.days) || 7 });
  return cell;
}

function trustCell(trust) {
  const cell = PS.el("td");
  const level = TRUST_LEVELS.includes(trust) ? trust : "normal";
  cell.append(PS.el("span", PS.t(`users.trust.${level}`), `badge trust-${level}`));
  return cell;
}

function userRow(user) {
  const row = PS.el("tr", null, "clickable");
  row.dataset.user = user.name || "";
  const name = PS.el("td");
  const link = PS.el("a", user.name || "");
  link.href = historyLink(user.name || "");
  name.append(link);
  row.append(name);
  for (const field of ["requests", "approved", "declined", "in_review"]) {
    row.append(PS.el("td", PS.number(user[field]), "number"));
  }
  row.append(PS.el("td", percent(user.approval_rate), "number"));
  row.append(quotaCell(user.quota));
  row.append(trustCell(user.trust));
  return row;
}

function showNotice(key, params) {
  view.notice = key ? [key, params || {}] : null;
  const box = document.getElementById("notice");
  box.textContent = key ? PS.t(key, params) : "";
  box.hidden = !key;
}

function render() {
  const wanted = document.getElementById("user-search").value.trim().toLocaleLowerCase();
  const all = view.users || [];
  const shown = all.filter((user) => String(user.name || "").toLocaleLowerCase().includes(wanted));
  document.getElementById("users").replaceChildren(...shown.map(userRow));
  document.getElementById("users-table").hidden = view.users === null;
  document.getElementById("empty").hidden = view.users === null || shown.length > 0;
  document.getElementById("summary").textContent = view.users === null
    ? ""
    : PS.t("users.count", { shown: PS.number(shown.length), total: PS.number(all.length) });
}

async function load() {
  try {
    const answer = await PS.getJson("/api/v1/users");
    if (answer.status === 404) {
      showNotice("users.unavailable");
    } else if (!answer.ok) {
      showNotice("users.refused", { error: (answer.body && answer.body.error) || answer.status });
    } else {
      showNotice(null);
      view.users = Array.isArray(answer.body.users) ? answer.body.users : [];
    }
    PS.showError("");
  } catch (err) {
    PS.showError(PS.t("users.load_failed", { error: err.message }));
  }
  render();
}

PS.start("users").then((ok) => {
  if (!ok) return;
  document.getElementById("user-search").addEventListener("input", render);
  // The whole row opens the requester's history; the name is also a
  // real link, for the keyboard and for "open in a new tab".
  document.getElementById("users").addEventListener("click", (event) => {
    const row = event.target.closest("tr[data-user]");
    if (!row || event.target.closest("a")) return;
    location.href = historyLink(row.dataset.user);
  });
  document.addEventListener("ps:language", () => {
    showNotice(...(view.notice || [null]));
    render();
  });
  load();
});
