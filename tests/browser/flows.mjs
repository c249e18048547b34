// What staff do in the dashboard, in a real headless Chromium against a
// real stack (run by tests/browser/run.py): log in, read the overview,
// see an HTML injection attempt rendered as text, approve a review while
// a second open page watches it leave the queue (SSE, no reload), decline
// one from the keyboard, switch languages, export the filtered history as
// CSV; and nobody without a session reaches a page. Tests run in order:
// the overview counts are read before any decision changes them, and the
// injection attempt is looked for in the queue before one could close it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  api, env, i18n, isoDay, launch, loggedIn, login, newPage, parseCsv, psPages, settle, simState, waitFor,
} from "./lib.mjs";

// Overseerr's request status: 1 pending, 2 approved, 3 declined.
const APPROVED = 2;
const DECLINED = 3;
// Conditions are polled: a page in a background tab gets no animation
// frames, puppeteer's default way to poll.
const POLL = { polling: 100 };

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

const digits = (text) => (text || "").replace(/\D/g, "");

describe("dashboard flows", () => {
  it("logs in through the login page, and refuses a wrong password", async () => {
    const context = await browser.createBrowserContext();
    try {
      const page = await newPage(context);
      await page.goto(`${env.base}/login.html`);
      await page.type("#username", env.user);
      await page.type("#password", "not-the-password");
      await page.$eval("form#login", (form) => form.requestSubmit());
      await page.waitForFunction(() => {
        const box = document.querySelector("#error");
        return box && !box.hidden && box.textContent.trim() !== "";
      }, POLL);
      assert.match(page.url(), /\/login\.html$/, "a wrong password must stay on the login page");

      await login(page);
      assert.doesNotMatch(page.url(), /login\.html/, `after logging in the browser is at ${page.url()}`);
      const session = await page.evaluate(async () => {
        const response = await fetch("/api/v1/session");
        return { status: response.status, body: await response.json() };
      });
      assert.equal(session.status, 200, "the session cookie works for the API");
      assert.equal(session.body.user, env.user);
      assert.equal(session.body.role, "admin");
    } finally {
      await context.close();
    }
  });

  it("shows on the overview the counts of /api/v1/stats and of the database", async () => {
    const { context, page } = await loggedIn(browser);
    try {
      await page.goto(`${env.base}/`);
      const stats = (await api("/api/v1/stats")).body;
      const expected = {
        "count-approve": String(stats.outcomes.approve || 0),
        "count-decline": String(stats.outcomes.decline || 0),
        "count-review": String(stats.pending_reviews || 0),
        "count-ai": String(stats.ai.calls || 0),
      };
      const db = env.dbCounts;
      assert.deepEqual(
        expected,
        {
          "count-approve": String(db.approve),
          "count-decline": String(db.decline),
          "count-review": String(db.review),
          "count-ai": String(db.ai),
        },
        "/api/v1/stats disagrees with moderation.db",
      );
      assert.ok(db.approve > 0 && db.decline > 0 && db.review > 0, `a mixed history to show: ${JSON.stringify(db)}`);
      const shown = async () => {
        const cards = {};
        for (const id of Object.keys(expected)) {
          cards[id] = digits(await page.$eval(`#${id}`, (node) => node.textContent).catch(() => ""));
        }
        return cards;
      };
      await waitFor(async () => JSON.stringify(await shown()) === JSON.stringify(expected), "the overview's counts", 8000)
        .catch(() => {});
      assert.deepEqual(await shown(), expected, "the overview's cards");
    } finally {
      await context.close();
    }
  });

  it("renders a title made of HTML as text on the review queue, history and overview", async () => {
    const { context, page } = await loggedIn(browser);
    try {
      const title = env.xssTitle;
      const injected = () => page.evaluate(() => document.querySelectorAll('img[src="x"]').length);

      await page.goto(`${env.base}/reviews.html`);
      const card = `li.review[data-request-id="${env.xssId}"]`;
      await page.waitForSelector(card);
      assert.equal(await page.$eval(`${card} h3`, (h) => h.textContent.trim()), title, "the title shown as text");
      await settle(page);
      assert.equal(await injected(), 0, "reviews.html created an <img> from the title");

      await page.goto(`${env.base}/history.html`);
      await page.waitForSelector("tbody#decisions tr[data-id]");
      const inHistory = async () =>
        page.evaluate((t) => [...document.querySelectorAll("tbody#decisions tr")].some((tr) => tr.textContent.includes(t)), title);
      for (let more = 0; !(await inHistory()) && more < 5; more++) {
        const button = await page.$("button#more:not([disabled]):not([hidden])");
        if (!button) break;
        const rows = await page.$$eval("tbody#decisions tr", (trs) => trs.length);
        await button.click();
        await page.waitForFunction((n) => document.querySelectorAll("tbody#decisions tr").length > n, POLL, rows);
      }
      assert.ok(await inHistory(), "history.html shows the title as text");
      await settle(page);
      assert.equal(await injected(), 0, "history.html created an <img> from the title");

      await page.goto(`${env.base}/`);
      await settle(page);
      assert.equal(await injected(), 0, "the overview created an <img> from the title");
      assert.deepEqual(page.dialogs, [], "a dialog opened: the title ran as script");
    } finally {
      await context.close();
    }
  });

  it("approves a review: Overseerr has it approved and a second open page drops it live", async () => {
    const { context, page } = await loggedIn(browser);
    try {
      const reviews = (await api("/api/v1/reviews")).body.reviews;
      const target = reviews.find((r) => r.request_id !== env.xssId);
      assert.ok(target, "a review other than the injection attempt to approve");
      const id = target.request_id;
      const card = `li.review[data-request-id="${id}"]`;

      const watcher = await newPage(context);
      await watcher.goto(`${env.base}/reviews.html`);
      await watcher.waitForSelector(card);
      await settle(watcher);
      // A reload would drop this mark: the card must go without one.
      await watcher.evaluate(() => {
        window.psNoReload = true;
      });

      // The watcher stays open behind, as a colleague's tab would.
      await page.bringToFront();
      await page.goto(`${env.base}/reviews.html`);
      await page.waitForSelector(card);
      await page.click(`${card} button.approve`);

      const decided = await waitFor(async () => {
        const request = (await simState()).requests.find((r) => r.id === id);
        return request && request.status === APPROVED ? request : null;
      }, `request ${id} approved in the Overseerr simulator`, 10000);
      assert.equal(decided.status, APPROVED);
      await watcher.waitForFunction((selector) => !document.querySelector(selector), { ...POLL, timeout: 5000 }, card)
        .catch(() => assert.fail(`request ${id} is still in the second page's queue 5 s after its approval`));
      assert.equal(await watcher.evaluate(() => window.psNoReload), true, "the second page reloaded instead of updating");
      assert.deepEqual(page.dialogs, [], "no dialog on approval");
      const left = (await api("/api/v1/reviews")).body.reviews.map((r) => r.request_id);
      assert.ok(!left.includes(id), "the approved request left /api/v1/reviews");
    } finally {
      await context.close();
    }
  });

  it("decides from the keyboard: j moves to a card, d declines it", async () => {
    const { context, page } = await loggedIn(browser);
    try {
      await page.goto(`${env.base}/reviews.html`);
      await page.waitForSelector("li.review");
      await settle(page);
      // The focused card: DOM focus inside it, or the page's own mark.
      const focused = () =>
        page.evaluate(() => {
          const card =
            document.activeElement?.closest("li.review") ||
            document.querySelector(
              "li.review.focused, li.review.active, li.review[aria-current], li.review[aria-selected='true']",
            );
          return card ? Number(card.dataset.requestId) : null;
        });
      await page.keyboard.press("j");
      const first = await waitFor(focused, "a focused card after pressing j", 3000);
      if (first === env.xssId) {
        await page.keyboard.press("j");
        await waitFor(async () => (await focused()) !== env.xssId, "j to move to the next card", 3000);
      }
      const target = await focused();
      await page.keyboard.press("d");
      const declined = await waitFor(async () => {
        const request = (await simState()).requests.find((r) => r.id === target);
        return request && request.status === DECLINED ? request : null;
      }, `request ${target} declined in the Overseerr simulator after pressing d`, 10000);
      assert.equal(declined.status, DECLINED);
      assert.deepEqual(page.dialogs, [], "no dialog on a keyboard decision");
    } finally {
      await context.close();
    }
  });

  it("switches to English and back to French, and the choice survives a reload", async () => {
    const { context, page } = await loggedIn(browser);
    try {
      const en = i18n("en").ui;
      const fr = i18n("fr").ui;
      const navText = () => page.evaluate(() => document.querySelector("#top nav")?.innerText || "");
      const choose = async (lang) => {
        await page.select("select#lang", lang);
        await page.waitForFunction((want) => document.documentElement.lang === want, POLL, lang);
      };
      await page.goto(`${env.base}/`);
      await page.waitForSelector("#top nav a");
      await settle(page);

      await choose("en");
      await waitFor(async () => (await navText()).includes(en["nav.overview"]), "English navigation", 5000);
      const english = await navText();
      await choose("fr");
      await waitFor(async () => (await navText()).includes(fr["nav.overview"]), "French navigation", 5000);
      const french = await navText();
      assert.notEqual(english, french, "the navigation text changes with the language");
      assert.ok(french.includes(fr["nav.history"]), `French navigation: ${french}`);

      await page.reload();
      await page.waitForSelector("#top nav a");
      await page.waitForFunction(() => document.documentElement.lang === "fr", POLL);
      assert.equal(await page.$eval("select#lang", (s) => s.value), "fr", "French kept over a reload");
      await choose("en");
      await page.goto(`${env.base}/costs.html`);
      await page.waitForFunction(() => document.documentElement.lang === "en", POLL);
      await waitFor(async () => (await navText()).includes(en["nav.overview"]), "English kept on another page", 5000);
    } finally {
      await context.close();
    }
  });

  it("downloads the filtered history as CSV with exactly the filtered rows", async () => {
    const { context, page } = await loggedIn(browser);
    try {
      const filters = { outcome: "approve", media_type: "movie", from: isoDay(-1), to: isoDay(0) };
      await page.goto(`${env.base}/history.html`);
      await page.waitForSelector("form#filters");
      await settle(page);
      const missing = await page.evaluate((wanted) => {
        const form = document.querySelector("form#filters");
        const absent = [];
        for (const [name, value] of Object.entries(wanted)) {
          const field = form.elements.namedItem(name);
          if (!field) {
            absent.push(name);
            continue;
          }
          field.value = value;
          field.dispatchEvent(new Event("input", { bubbles: true }));
          field.dispatchEvent(new Event("change", { bubbles: true }));
        }
        return absent;
      }, filters);
      assert.deepEqual(missing, [], "form#filters has a field named like each API query parameter");
      const href = await waitFor(async () => {
        const link = await page.$eval("a#csv", (a) => a.href);
        const query = new URL(link).searchParams;
        return Object.entries(filters).every(([k, v]) => query.get(k) === v) ? link : null;
      }, "a#csv to carry the filters", 5000);
      assert.equal(new URL(href).pathname, "/api/v1/decisions.csv");

      const download = await page.evaluate(async (url) => {
        const response = await fetch(url);
        return { status: response.status, type: response.headers.get("Content-Type"), text: await response.text() };
      }, href);
      assert.equal(download.status, 200, `GET ${href}: ${download.text.slice(0, 200)}`);
      assert.match(download.type || "", /^text\/csv/);
      const [header, ...rows] = parseCsv(download.text);
      for (const row of rows) assert.equal(row.length, header.length, `a CSV row has ${row.length} fields: ${row}`);

      const expected = [];
      let cursor = null;
      const query = new URLSearchParams({ ...filters, limit: "100" });
      for (let page_ = 0; page_ < 100; page_++) {
        if (cursor) query.set("cursor", cursor);
        const { status, body } = await api(`/api/v1/decisions?${query}`);
        assert.equal(status, 200, JSON.stringify(body));
        expected.push(...body.decisions);
        cursor = body.next_cursor;
        if (!cursor) break;
      }
      assert.ok(expected.length > 0, "the filters select some decisions");
      assert.equal(rows.length, expected.length, "CSV rows = decisions the API lists with the same filters");
      // The decision's id when the CSV has it, else its request's id.
      const [column, field] = ["decision_id", "id", "request_id"]
        .map((name) => [name, name === "decision_id" ? "id" : name])
        .find(([name]) => header.includes(name)) || [];
      assert.ok(column, `the CSV header names the decision or request: ${header}`);
      const at = header.indexOf(column);
      const csvIds = rows.map((row) => String(row[at])).sort();
      const apiIds = expected.map((d) => String(d[field])).sort();
      assert.deepEqual(csvIds, apiIds, `the CSV's ${column} column`);
      const outcome = header.indexOf("outcome");
      if (outcome >= 0) for (const row of rows) assert.equal(row[outcome], "approve");
    } finally {
      await context.close();
    }
  });

  it("sends anyone without a session to the login page", async () => {
    const pages = [
      ...psPages().map((p) => p.href),
      "/index.html", "/reviews.html", "/history.html", "/users.html", "/settings.html", "/health.html",
      "/report.html", "/costs.html", "/backtest.html", "/docs",
      // prototype routes that are pages
      "/history", "/health", "/staff/report", "/review-dashboard", "/staff/openai-stats",
    ];
    for (const route of new Set(pages)) {
      const response = await fetch(env.base + route, { redirect: "manual" });
      assert.ok([302, 303].includes(response.status), `GET ${route} without a session: ${response.status}`);
      assert.equal(new URL(response.headers.get("Location"), env.base).pathname, "/login.html", `GET ${route}`);
    }
    const apis = [
      "/api/v1/stats", "/api/v1/stats/daily", "/api/v1/progress", "/api/v1/decisions", "/api/v1/decisions.csv",
      "/api/v1/reviews", "/api/v1/users", "/api/v1/rules", "/api/v1/costs", "/api/v1/tokens", "/api/v1/accounts",
      `/api/v1/posters/${env.xssId}`, "/api/v1/events", "/api/v1/openapi.json", "/stats", "/staff/reviews",
      "/staff/pending-count",
    ];
    for (const route of apis) {
      const response = await fetch(env.base + route, { redirect: "manual" });
      assert.ok([401, 302, 303].includes(response.status), `GET ${route} without a session: ${response.status}`);
      await response.body?.cancel();
    }
    // And in the browser: the page it lands on is the login form.
    const context = await browser.createBrowserContext();
    try {
      const page = await newPage(context);
      await page.goto(`${env.base}/reviews.html`);
      await page.waitForSelector("form#login");
      assert.match(page.url(), /\/login\.html$/);
    } finally {
      await context.close();
    }
  });
});
