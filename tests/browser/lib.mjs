// What the browser suites share: the environment tests/browser/run.py
// sets, a headless Chromium (Debian's, driven by puppeteer-core), logging
// in through the login page, API calls with the setup token, the page
// list and translation keys read from the real web/ files, an RFC 4180
// CSV parser, and waiting for eventual conditions (never for a fixed time
// as an assertion).
import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const WEB = path.join(HERE, "..", "..", "web");

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite through tests/browser/run.py`);
  return value;
}

export const env = {
  base: required("PS_BASE_URL"),
  sim: required("PS_SIM_URL"),
  user: required("PS_ADMIN_USER"),
  password: required("PS_ADMIN_PASSWORD"),
  token: required("PS_API_TOKEN"),
  dbCounts: JSON.parse(required("PS_DB_COUNTS")),
  xssId: Number(required("PS_XSS_ID")),
  xssTitle: required("PS_XSS_TITLE"),
  screenshots: required("PS_SCREENSHOT_DIR"),
  chromium: required("PS_CHROMIUM"),
};

export async function launch() {
  return puppeteer.launch({
    executablePath: env.chromium,
    headless: true,
    // A hung page fails its test in half a minute, not three.
    protocolTimeout: 30000,
    // Root in a container has no user namespace sandbox; /dev/shm is small.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
}

// A page that records what must never happen: a JavaScript dialog (an
// injected alert() would open one) and uncaught errors, for messages.
export async function newPage(context, { width = 1280, height = 900 } = {}) {
  const page = await context.newPage();
  page.dialogs = [];
  page.errors = [];
  page.on("dialog", async (dialog) => {
    page.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    await dialog.dismiss().catch(() => {});
  });
  page.on("pageerror", (err) => page.errors.push(String(err.message || err)));
  await page.setViewport({ width, height });
  page.setDefaultTimeout(15000);
  return page;
}

// Logs in through login.html and waits for the page it leads to.
export async function login(page, user = env.user, password = env.password) {
  await page.goto(`${env.base}/login.html`, { waitUntil: "domcontentloaded" });
  await page.waitForSelector("form#login #username");
  await page.type("#username", user);
  await page.type("#password", password);
  await Promise.all([
    page.waitForNavigation({ waitUntil: "domcontentloaded" }),
    page.$eval("form#login", (form) => form.requestSubmit()),
  ]);
}

// A fresh browser context (its own cookies and localStorage) with a
// logged-in page in it.
export async function loggedIn(browser, options) {
  const context = await browser.createBrowserContext();
  const page = await newPage(context, options);
  await login(page);
  return { context, page };
}

// Lets the page finish its first fetches; the SSE stream stays open, so
// one request in flight still counts as idle.
export async function settle(page) {
  await page.waitForNetworkIdle({ idleTime: 300, timeout: 8000, concurrency: 1 }).catch(() => {});
}

export async function api(pathAndQuery, init = {}) {
  const response = await fetch(env.base + pathAndQuery, {
    ...init,
    headers: { Authorization: `Bearer ${env.token}`, ...(init.headers || {}) },
  });
  const text = await response.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch (err) {
    // not JSON: the caller sees the text
  }
  return { status: response.status, body, headers: response.headers };
}

export async function simState() {
  const response = await fetch(`${env.sim}/sim/state`);
  if (!response.ok) throw new Error(`GET /sim/state: ${response.status}`);
  return response.json();
}

export async function waitFor(predicate, what, timeoutMs = 10000, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await predicate();
    if (last) return last;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
}

// PS.PAGES from web/session.js itself, so a page added there is walked.
export function psPages() {
  const sandbox = { window: {} };
  vm.runInNewContext(fs.readFileSync(path.join(WEB, "session.js"), "utf8"), sandbox);
  return sandbox.window.PS.PAGES.map(([id, href]) => ({ id, href }));
}

export function i18n(lang) {
  return JSON.parse(fs.readFileSync(path.join(WEB, "i18n", `${lang}.json`), "utf8"));
}

// Every page-text key of every language file: a key shown raw on a page
// is a missing translation.
export function uiKeys() {
  const keys = new Set();
  for (const file of fs.readdirSync(path.join(WEB, "i18n"))) {
    if (!file.endsWith(".json")) continue;
    for (const key of Object.keys(i18n(file.slice(0, -5)).ui || {})) keys.add(key);
  }
  return keys;
}

// The keys shown as text: words made of letters, digits, _ - and dots
// (keys look like "history.filter.outcome"), without the punctuation of
// the sentence around them, that are keys of the language files.
export function rawKeysIn(text, keys) {
  const found = new Set();
  for (const word of text.split(/[^\w.-]+/)) {
    const candidate = word.replace(/^[.-]+|[.-]+$/g, "");
    if (candidate.includes(".") && keys.has(candidate)) found.add(candidate);
  }
  return [...found];
}

// RFC 4180: fields separated by commas, records by CRLF (LF accepted),
// fields in double quotes may hold commas, line breaks and "" for ".
export function parseCsv(text) {
  const records = [];
  let record = [];
  let field = "";
  let quoted = false;
  let i = 0;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // a BOM for spreadsheet programs
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"' && field === "") {
      quoted = true;
    } else if (c === ",") {
      record.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      // the LF ends the record
    } else if (c === "\n") {
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else {
      field += c;
    }
  }
  if (quoted) throw new Error("CSV ends inside a quoted field");
  if (field !== "" || record.length) {
    record.push(field);
    records.push(record);
  }
  return records;
}

export function isoDay(offsetDays = 0) {
  return new Date(Date.now() + offsetDays * 86400000).toISOString().slice(0, 10);
}
