// What the overview, review queue, health and report pages share on top
// of session.js: a GET that never throws (a route this gateway does not
// have yet, a non-JSON answer or a network error becomes {ok: false}, so
// a page shows a muted "not available" note instead of breaking), money,
// percentage and duration formats in the page language, and live updates
// that fall back to polling whenever the event stream is unavailable.
"use strict";

window.PSLive = {
  async tryJson(path) {
    try {
      const response = await fetch(path, { headers: { Accept: "application/json" } });
      if (response.status === 401) {
        location.href = "/login.html";
        return { ok: false, status: 401, body: {} };
      }
      let body = {};
      try {
        body = await response.json();
      } catch (err) {
        body = {};
      }
      return { ok: response.ok, status: response.status, body: body || {} };
    } catch (err) {
      return { ok: false, status: 0, body: { error: err.message } };
    }
  },

  // The reason an answer failed, for a status line.
  failure(answer) {
    if (answer.status === 0) return PS.t("common.unreachable");
    const detail = answer.body && answer.body.detail ? `: ${answer.body.detail}` : "";
    return `${(answer.body && answer.body.error) || `HTTP ${answer.status}`}${detail}`;
  },

  // Dollars: tiny LLM costs keep their significant digits (`digits`
  // forces a precision, for chart axes whose steps are that small).
  usd(value, digits) {
    const amount = Number(value || 0);
    if (digits === undefined) digits = amount > 0 && amount < 0.01 ? 4 : 2;
    return amount.toLocaleString(PS.lang, {
      style: "currency",
      currency: "USD",
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
  },

  percent(rate) {
    if (rate === null || rate === undefined || Number.isNaN(Number(rate))) return "–";
    return Number(rate).toLocaleString(PS.lang, { style: "percent", maximumFractionDigits: 1 });
  },

  // "42 s", "3 min", "2 h" in the page language, no translation key needed.
  duration(seconds) {
    const value = Math.max(0, Number(seconds) || 0);
    const [amount, unit] = value < 90 ? [value, "second"]
      : value < 5400 ? [value / 60, "minute"] : [value / 3600, "hour"];
    return new Intl.NumberFormat(PS.lang, { style: "unit", unit, unitDisplay: "short", maximumFractionDigits: 0 })
      .format(Math.round(amount));
  },

  // A day "YYYY-MM-DD" as a short local date ("25 nov.", "Nov 25").
  day(text) {
    const date = new Date(`${text}T12:00:00`);
    if (Number.isNaN(date.getTime())) return String(text);
    return date.toLocaleDateString(PS.lang, { month: "short", day: "numeric" });
  },

  // Runs fn once, `ms` after the first of a burst of calls: a scan's
  // stream of events refreshes the page twice a second, not per event,
  // and never waits for the burst to end.
  coalesce(fn, ms) {
    let timer = null;
    return () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        fn();
      }, ms);
    };
  },

  // Server-Sent Events for `handlers`; while the stream is down (no
  // route on this gateway, a restart, a proxy that buffers), `poll` runs
  // every `everyMs`. When the stream comes back, polling stops after one
  // last catch-up poll.
  follow(handlers, poll, everyMs) {
    let timer = null;
    const startPolling = () => {
      if (!timer) timer = setInterval(poll, everyMs);
    };
    if (typeof EventSource === "undefined") {
      startPolling();
      return;
    }
    const source = PS.events(handlers);
    source.addEventListener("open", () => {
      if (!timer) return;
      clearInterval(timer);
      timer = null;
      poll();
    });
    source.addEventListener("error", startPolling);
  },

  // A muted "not available" note in place of a section whose API failed.
  unavailable(container, answer) {
    const note = PS.el("p", PS.t("common.unavailable"), "muted unavailable");
    if (answer && answer.status && answer.status !== 404) note.textContent += ` (${this.failure(answer)})`;
    container.replaceChildren(note);
  },
};
