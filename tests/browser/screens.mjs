// Screenshots of every page (web/session.js's PS.PAGES, the login page,
// the printable report and the API docs) in French and English at 1280
// and 390 px wide, into $PS_SCREENSHOT_DIR/<page>-<lang>-<width>.png,
// and for each: the page exists, it is in that language, no raw
// translation key shows (a key of web/i18n/*.json in the visible text)
// and nothing overflows horizontally (a phone must not scroll sideways).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { env, launch, login, newPage, psPages, rawKeysIn, settle, uiKeys } from "./lib.mjs";

const LANGUAGES = ["fr", "en"];
const WIDTHS = [1280, 390];
const EXTRA = [
  { id: "login", href: "/login.html", anonymous: true },
  { id: "report", href: "/report.html" },
  { id: "docs", href: "/docs", foreign: true }, // Swagger UI: its own texts
];
const listed = psPages();
const PAGES = [...listed, ...EXTRA.filter((extra) => !listed.some((page) => page.id === extra.id))];
const KEYS = uiKeys();

let browser;
const sessions = new Map(); // lang -> logged-in context

before(async () => {
  browser = await launch();
  fs.mkdirSync(env.screenshots, { recursive: true });
});

after(async () => {
  await browser?.close();
});

// One context per language and kind (anonymous or logged in), the
// language chosen the way a user does (kept in localStorage) and asked
// for by the browser (Accept-Language).
async function contextFor(lang, anonymous) {
  const key = `${lang}-${anonymous ? "anonymous" : "session"}`;
  if (sessions.has(key)) return sessions.get(key);
  const context = await browser.createBrowserContext();
  const page = await newPage(context);
  await page.setExtraHTTPHeaders({ "Accept-Language": lang });
  await page.goto(`${env.base}/login.html`);
  await page.evaluate((l) => localStorage.setItem("ps.lang", l), lang);
  if (!anonymous) await login(page);
  await page.close();
  sessions.set(key, context);
  return context;
}

describe("every page in French and English, wide and narrow", () => {
  for (const target of PAGES) {
    for (const lang of LANGUAGES) {
      for (const width of WIDTHS) {
        const name = `${target.id}-${lang}-${width}`;
        it(name, async () => {
          const where = `${target.id} (${target.href}) in ${lang} at ${width} px`;
          const context = await contextFor(lang, target.anonymous);
          const page = await newPage(context, { width, height: width > 600 ? 900 : 844 });
          try {
            await page.setExtraHTTPHeaders({ "Accept-Language": lang });
            const response = await page.goto(env.base + target.href, { waitUntil: "load" });
            await settle(page);
            await page.screenshot({ path: path.join(env.screenshots, `${name}.png`), fullPage: true });
            assert.equal(response?.status(), 200, `${where}: HTTP ${response?.status()}`);
            if (!target.anonymous) assert.doesNotMatch(page.url(), /\/login\.html$/, `${where}: sent to the login page`);
            if (!target.foreign) {
              const shownLang = await page.evaluate(() => document.documentElement.lang);
              assert.equal(shownLang, lang, `${where}: the page is in "${shownLang}"`);
            }
            // What a user reads: the text, the tab's title, placeholders.
            const text = await page.evaluate(() =>
              [document.title, document.body.innerText, ...[...document.querySelectorAll("[placeholder]")].map((n) => n.placeholder)].join("\n"));
            const raw = rawKeysIn(text, KEYS);
            assert.deepEqual(raw, [], `${where}: raw translation keys visible: ${raw.join(", ")}`);
            const sizes = await page.evaluate(() => ({
              scroll: document.documentElement.scrollWidth,
              inner: window.innerWidth,
            }));
            assert.ok(
              sizes.scroll <= sizes.inner + 1,
              `${where}: overflows horizontally (${sizes.scroll} px of content in a ${sizes.inner} px window)`,
            );
            assert.deepEqual(page.dialogs, [], `${where}: a dialog opened`);
          } finally {
            if (page.errors.length) console.log(`# ${where}: page errors: ${page.errors.join(" | ")}`);
            await page.close();
          }
        });
      }
    }
  }
});
