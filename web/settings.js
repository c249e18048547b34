// Settings page: the effective configuration from GET /api/v1/rules as
// read-only tables, one per config.yaml section (secrets arrive from the
// gateway as "set" / "not set", never their value), and for admins the
// API tokens (/api/v1/tokens) and staff accounts (/api/v1/accounts).
//
// Non-admins never see the token and account sections: they stay hidden
// and their APIs are not called. A new token is shown once, in a
// read-only field to copy; the gateway keeps only its hash. Every value
// from the server is placed with textContent (PS.el).
"use strict";

const ROLES = ["viewer", "staff", "admin"];
const SECRET_WORDS = { set: "settings.secret.set", "not set": "settings.secret.not_set" };

const view = {
  rules: null, // the last /api/v1/rules answer
  tokens: null, // token rows, null when the list could not be read
  accounts: null, // account rows, null when the list could not be read
  notices: {}, // element id -> [key, params] of the message it shows
};

function showNotice(id, key, params) {
  view.notices[id] = key ? [key, params || {}] : null;
  const box = document.getElementById(id);
  box.textContent = key ? PS.t(key, params) : "";
  box.hidden = !key;
}

function roleName(role) {
  return ROLES.includes(role) ? PS.t(`settings.role.${role}`) : String(role || "");
}

function shortWhen(ms) {
  return ms ? new Date(ms).toLocaleString(PS.lang, { dateStyle: "short", timeStyle: "short" }) : "";
}

async function errorOf(response) {
  try {
    const body = await response.json();
    return (body && body.error) || String(response.status);
  } catch (err) {
    return String(response.status);
  }
}

/* ---- effective configuration ------------------------------------------ */

function isPlainObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

// [[path parts], value] for every leaf under `value`.
function leaves(value, path, out) {
  if (isPlainObject(value) && Object.keys(value).length > 0) {
    for (const [key, child] of Object.entries(value)) leaves(child, path.concat(key), out);
  } else {
    out.push([path, value]);
  }
  return out;
}

// The config as sections: nested ({"ai": {"model": ...}}) or flat
// ({"ai.model": ...}) keys both group under their first name; top-level
// scalars (data_dir, timezone...) form the general section, shown first.
function sections(config) {
  const groups = new Map([["", []]]);
  for (const [path, value] of leaves(config, [], [])) {
    const parts = path.flatMap((part) => String(part).split("."));
    const section = parts.length > 1 ? parts[0] : "";
    if (!groups.has(section)) groups.set(section, []);
    groups.get(section).push([parts.length > 1 ? parts.slice(1) : parts, value]);
  }
  if (groups.get("").length === 0) groups.delete("");
  return groups;
}

function valueText(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "boolean") return PS.t(value ? "settings.value.yes" : "settings.value.no");
  if (Array.isArray(value)) {
    if (value.length === 0) return PS.t("settings.value.empty");
    return value.map((item) => (isPlainObject(item) || Array.isArray(item) ? JSON.stringify(item) : String(item))).join(", ");
  }
  if (isPlainObject(value)) return PS.t("settings.value.empty");
  if (value === "") return PS.t("settings.value.empty");
  return String(value);
}

function valueCell(value) {
  const cell = PS.el("td", null, "config-value");
  if (typeof value === "string" && Object.prototype.hasOwnProperty.call(SECRET_WORDS, value)) {
    cell.append(PS.el("span", PS.t(SECRET_WORDS[value]), value === "set" ? "badge secret-set" : "badge secret-unset"));
  } else {
    cell.append(PS.el("span", valueText(value)));
  }
  return cell;
}

function renderConfig() {
  const rules = view.rules;
  const box = document.getElementById("config");
  const version = document.getElementById("ruleset");
  const errors = document.getElementById("config-errors");
  box.replaceChildren();
  errors.replaceChildren();
  version.textContent = rules && rules.rules_version ? PS.t("settings.ruleset", { version: rules.rules_version }) : "";
  if (!rules) {
    errors.hidden = true;
    return;
  }
  const problems = Array.isArray(rules.config_errors) ? rules.config_errors : [];
  errors.hidden = problems.length === 0;
  if (problems.length) {
    const list = PS.el("ul");
    for (const problem of problems) {
      const where = [problem.service, problem.instance].filter(Boolean).join(" ");
      list.append(PS.el("li", where ? `${where}: ${problem.error}` : String(problem.error || problem)));
    }
    errors.append(PS.el("strong", PS.t("settings.config.errors")), list);
  }
  for (const [section, rows] of sections(isPlainObject(rules.settings) ? rules.settings : {})) {
    const group = PS.el("section", null, "config-group");
    const title = PS.el("h4");
    if (section) title.append(PS.el("code", section));
    else title.textContent = PS.t("settings.config.general");
    const table = PS.el("table", null, "config-table");
    const body = PS.el("tbody");
    for (const [path, value] of rows) {
      const row = PS.el("tr");
      const key = PS.el("th");
      key.scope = "row";
      key.append(PS.el("code", path.join(" › ")));
      row.append(key, valueCell(value));
      body.append(row);
    }
    table.append(body);
    const wrap = PS.el("div", null, "table-wrap");
    wrap.append(table);
    group.append(title, wrap);
    box.append(group);
  }
}

async function loadConfig() {
  try {
    const answer = await PS.getJson("/api/v1/rules");
    if (answer.status === 404) showNotice("config-notice", "settings.config.unavailable");
    else if (!answer.ok) showNotice("config-notice", "settings.refused", { error: (answer.body && answer.body.error) || answer.status });
    else {
      showNotice("config-notice", null);
      view.rules = answer.body;
    }
  } catch (err) {
    showNotice("config-notice", "settings.load_failed", { error: err.message });
  }
  renderConfig();
}

/* ---- admin lists -------------------------------------------------------- */

function deleteButton(labelKey, onClick) {
  const button = PS.el("button", PS.t(labelKey), "danger");
  button.type = "button";
  button.addEventListener("click", onClick);
  return button;
}

function renderTokens() {
  const rows = (view.tokens || []).map((token) => {
    const row = PS.el("tr");
    row.dataset.id = String(token.id);
    row.append(
      PS.el("td", token.name || ""),
      PS.el("td", roleName(token.role)),
      PS.el("td", shortWhen(token.created_at), "nowrap"),
      PS.el("td", token.last_used_at ? shortWhen(token.last_used_at) : PS.t("settings.tokens.never"), "nowrap"),
    );
    const action = PS.el("td");
    action.append(deleteButton("settings.tokens.revoke", guarded("tokens-notice", () => revokeToken(token))));
    row.append(action);
    return row;
  });
  document.getElementById("token-list").replaceChildren(...rows);
  document.getElementById("token-table").hidden = view.tokens === null;
}

function renderAccounts() {
  const rows = (view.accounts || []).map((account) => {
    const row = PS.el("tr");
    row.dataset.username = account.username || "";
    row.append(
      PS.el("td", account.username || ""),
      PS.el("td", roleName(account.role)),
      PS.el("td", shortWhen(account.created_at), "nowrap"),
    );
    const action = PS.el("td");
    // Deleting the account you are logged in with would lock you out.
    if (account.username === PS.user) action.append(PS.el("span", PS.t("settings.accounts.you"), "muted"));
    else action.append(deleteButton("settings.accounts.delete", guarded("accounts-notice", () => deleteAccount(account))));
    row.append(action);
    return row;
  });
  document.getElementById("account-list").replaceChildren(...rows);
  document.getElementById("account-table").hidden = view.accounts === null;
}

// Reads an admin list; null (and a notice) when the gateway has none.
async function loadList(path, field, noticeId) {
  try {
    const answer = await PS.getJson(path);
    if (answer.status === 404 || answer.status === 405) {
      showNotice(noticeId, "settings.list_unavailable");
      return null;
    }
    if (!answer.ok) {
      showNotice(noticeId, "settings.refused", { error: (answer.body && answer.body.error) || answer.status });
      return null;
    }
    showNotice(noticeId, null);
    return Array.isArray(answer.body[field]) ? answer.body[field] : [];
  } catch (err) {
    showNotice(noticeId, "settings.load_failed", { error: err.message });
    return null;
  }
}

async function loadTokens() {
  view.tokens = await loadList("/api/v1/tokens", "tokens", "tokens-notice");
  renderTokens();
}

async function loadAccounts() {
  view.accounts = await loadList("/api/v1/accounts", "accounts", "accounts-notice");
  renderAccounts();
}

// Runs an admin action; a gateway that cannot be reached is reported in
// the section's notice instead of failing silently.
function guarded(noticeId, action) {
  return async (...args) => {
    try {
      await action(...args);
    } catch (err) {
      showNotice(noticeId, "settings.unreachable", { error: err.message });
    }
  };
}

async function createToken(event) {
  event.preventDefault();
  const formNode = event.target;
  const data = new FormData(formNode);
  const response = await PS.post("/api/v1/tokens", JSON.stringify({ name: String(data.get("name")).trim(), role: data.get("role") }));
  if (!response.ok) {
    showNotice("tokens-notice", "settings.tokens.create_failed", { error: await errorOf(response) });
    return;
  }
  const body = await response.json();
  formNode.reset();
  const field = document.getElementById("new-token-value");
  field.value = body.token || "";
  document.getElementById("copy-status").textContent = "";
  document.getElementById("new-token").hidden = false;
  field.focus();
  field.select();
  loadTokens();
}

async function copyToken() {
  const field = document.getElementById("new-token-value");
  const status = document.getElementById("copy-status");
  field.select();
  let copied = false;
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(field.value);
      copied = true;
    } else {
      copied = document.execCommand("copy");
    }
  } catch (err) {
    copied = false;
  }
  status.textContent = PS.t(copied ? "settings.tokens.copied" : "settings.tokens.copy_by_hand");
}

async function revokeToken(token) {
  if (!confirm(PS.t("settings.tokens.confirm_revoke", { name: token.name || token.id }))) return;
  const response = await PS.send("DELETE", `/api/v1/tokens/${encodeURIComponent(token.id)}`);
  if (!response.ok) {
    showNotice("tokens-notice", "settings.tokens.revoke_failed", { error: await errorOf(response) });
    return;
  }
  loadTokens();
}

async function createAccount(event) {
  event.preventDefault();
  const formNode = event.target;
  const data = new FormData(formNode);
  const response = await PS.post("/api/v1/accounts", JSON.stringify({
    username: String(data.get("username")).trim(),
    password: String(data.get("password")),
    role: data.get("role"),
  }));
  if (!response.ok) {
    showNotice("accounts-notice", "settings.accounts.create_failed", { error: await errorOf(response) });
    return;
  }
  formNode.reset();
  loadAccounts();
}

async function deleteAccount(account) {
  if (!confirm(PS.t("settings.accounts.confirm_delete", { username: account.username }))) return;
  const response = await PS.send("DELETE", `/api/v1/accounts/${encodeURIComponent(account.username)}`);
  if (!response.ok) {
    showNotice("accounts-notice", "settings.accounts.delete_failed", { error: await errorOf(response) });
    return;
  }
  loadAccounts();
}

function rerender() {
  for (const [id, notice] of Object.entries(view.notices)) showNotice(id, ...(notice || [null]));
  renderConfig();
  renderTokens();
  renderAccounts();
}

PS.start("settings").then((ok) => {
  if (!ok) return;
  document.addEventListener("ps:language", rerender);
  loadConfig();
  if (!PS.can("admin")) return;
  document.getElementById("tokens").hidden = false;
  document.getElementById("accounts").hidden = false;
  document.getElementById("token-form").addEventListener("submit", guarded("tokens-notice", createToken));
  document.getElementById("copy-token").addEventListener("click", copyToken);
  document.getElementById("account-form").addEventListener("submit", guarded("accounts-notice", createAccount));
  loadTokens();
  loadAccounts();
});
