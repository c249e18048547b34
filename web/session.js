// The shell every dashboard page shares: the logged-in session (user,
// role, the CSRF token every state-changing call sends as X-CSRF-Token),
// the page header with its navigation, and the translations.
//
// A page has an empty <header id="top"></header>, marks its fixed texts
// with data-i18n="key" (data-i18n-placeholder / -title / -aria-label for
// attributes) and calls PS.start("<page id>") first; without a session it
// goes to the login page. Text that comes from Overseerr, the LLM or a
// requester is untrusted: it is only ever placed with textContent
// (PS.el), never as HTML.
//
// Languages: web/i18n/<lang>.json holds "ui" (page texts) and "messages"
// (rule explanations by message id); every key exists in every language
// (tests/web/test_i18n.py). The language is the one the user picked
// (kept in localStorage), else the browser's Accept-Language order, else
// French, the prototype users' language.
"use strict";

window.PS = {
  LANGUAGES: [
    ["fr", "Français"],
    ["en", "English"],
    ["es", "Español"],
    ["de", "Deutsch"],
    ["it", "Italiano"],
  ],
  PAGES: [
    ["overview", "/", "nav.overview"],
    ["reviews", "/reviews.html", "nav.reviews"],
    ["history", "/history.html", "nav.history"],
    ["users", "/users.html", "nav.users"],
    ["costs", "/costs.html", "nav.costs"],
    ["health", "/health.html", "nav.health"],
    ["backtest", "/backtest.html", "nav.backtest"],
    ["report", "/report.html", "nav.report"],
    ["settings", "/settings.html", "nav.settings"],
  ],
  user: null,
  role: null,
  csrf: "",
  lang: "fr",
  ui: {},
  messages: {},

  // The language to show: saved choice, then Accept-Language, then fr.
  pickLanguage() {
    const known = this.LANGUAGES.map(([code]) => code);
    const saved = localStorage.getItem("ps.lang");
    if (known.includes(saved)) return saved;
    for (const wanted of navigator.languages || [navigator.language || ""]) {
      const code = String(wanted).slice(0, 2).toLowerCase();
      if (known.includes(code)) return code;
    }
    return "fr";
  },

  async loadLanguage(lang) {
    const response = await fetch(`/i18n/${lang}.json`);
    const body = await response.json();
    this.lang = lang;
    this.ui = body.ui || {};
    this.messages = body.messages || {};
    document.documentElement.lang = lang;
    this.translate(document);
  },

  // A page text by key, with {name} placeholders filled from params. A
  // missing key shows the key itself, which the browser tests catch.
  t(key, params) {
    const template = Object.prototype.hasOwnProperty.call(this.ui, key) ? this.ui[key] : key;
    return this.fill(template, params || {});
  },

  fill(template, params) {
    return template.replace(/\{([a-z_]+)\}/g, (whole, name) =>
      Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole);
  },

  // A decision's explanation in the page's language: the rule's message
  // id and parameters, or the English text recorded when the id is
  // unknown (AI and staff explanations are free text).
  explain(item) {
    const template = item && item.message_id && this.messages[item.message_id];
    if (!template) return (item && item.explanation) || "";
    return this.fill(template, item.params || {});
  },

  translate(root) {
    for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = this.t(node.dataset.i18n);
    for (const [attribute, marker] of [
      ["placeholder", "data-i18n-placeholder"],
      ["title", "data-i18n-title"],
      ["aria-label", "data-i18n-aria-label"],
    ]) {
      for (const node of root.querySelectorAll(`[${marker}]`)) node.setAttribute(attribute, this.t(node.getAttribute(marker)));
    }
    const title = document.querySelector("title[data-i18n-page]");
    if (title) title.textContent = `PlexStaffAI · ${this.t(title.dataset.i18nPage)}`;
  },

  el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  },

  when(ms) {
    return ms ? new Date(ms).toLocaleString(this.lang) : "";
  },

  number(value, digits) {
    return Number(value || 0).toLocaleString(this.lang, {
      maximumFractionDigits: digits === undefined ? 0 : digits,
      minimumFractionDigits: digits === undefined ? 0 : digits,
    });
  },

  showError(text) {
    const box = document.getElementById("error");
    if (!box) return;
    box.textContent = text || "";
    box.hidden = !text;
  },

  // The header: title, one link per page, who is logged in, language.
  renderHeader(page) {
    const top = document.getElementById("top");
    if (!top) return;
    top.replaceChildren();
    top.append(this.el("h1", "PlexStaffAI"));
    const nav = this.el("nav");
    nav.setAttribute("data-i18n-aria-label", "nav.label");
    for (const [id, href, key] of this.PAGES) {
      const link = this.el("a", null);
      link.href = href;
      link.dataset.i18n = key;
      if (id === page) link.setAttribute("aria-current", "page");
      nav.append(link);
    }
    const who = this.el("span", `${this.user} (${this.role})`, "muted");
    who.id = "who";
    const select = this.el("select");
    select.id = "lang";
    select.setAttribute("data-i18n-aria-label", "header.language");
    for (const [code, name] of this.LANGUAGES) {
      const option = this.el("option", name);
      option.value = code;
      option.lang = code;
      select.append(option);
    }
    select.value = this.lang;
    select.addEventListener("change", async () => {
      localStorage.setItem("ps.lang", select.value);
      await this.loadLanguage(select.value);
      document.dispatchEvent(new CustomEvent("ps:language"));
    });
    const logout = this.el("button", null);
    logout.type = "button";
    logout.id = "logout";
    logout.dataset.i18n = "header.logout";
    logout.addEventListener("click", () => this.logout());
    top.append(nav, who, select, logout);
  },

  // Starts a page: session (or the login page), language, header.
  // Resolves to false when the page must not go on.
  async start(page) {
    const response = await fetch("/api/v1/session");
    if (response.status === 401) {
      location.href = "/login.html";
      return false;
    }
    const body = await response.json();
    this.user = body.user;
    this.role = body.role;
    this.csrf = body.csrf;
    this.lang = this.pickLanguage();
    this.renderHeader(page);
    await this.loadLanguage(this.lang);
    return true;
  },

  // True when the logged-in role is at least `needed`.
  can(needed) {
    const order = ["viewer", "staff", "admin"];
    return order.indexOf(this.role) >= order.indexOf(needed);
  },

  async getJson(path) {
    const response = await fetch(path, { headers: { Accept: "application/json" } });
    if (response.status === 401) location.href = "/login.html";
    const body = await response.json();
    return { status: response.status, ok: response.ok, body };
  },

  async send(method, path, body, contentType) {
    const response = await fetch(path, {
      method,
      headers: { "Content-Type": contentType || "application/json", "X-CSRF-Token": this.csrf },
      body,
    });
    if (response.status === 401) location.href = "/login.html";
    return response;
  },

  async post(path, body, contentType) {
    return this.send("POST", path, body, contentType);
  },

  // Live updates: calls handlers[type](data) for each Server-Sent Event
  // of GET /api/v1/events (decision, review, review_done, applied,
  // progress). The browser reconnects by itself with Last-Event-ID.
  events(handlers) {
    const source = new EventSource("/api/v1/events");
    for (const [type, handler] of Object.entries(handlers)) {
      source.addEventListener(type, (event) => {
        let data = {};
        try {
          data = JSON.parse(event.data);
        } catch (err) {
          return;
        }
        handler(data);
      });
    }
    return source;
  },

  async logout() {
    await this.post("/api/v1/logout", "{}");
    location.href = "/login.html";
  },
};
