// Opens /docs in headless Chromium with a logged-in session cookie and
// reports, as one JSON line, what a user would see: how many operations
// Swagger UI rendered, the console errors and every CSP violation.
// Usage: node docs_check.js BASE_URL SESSION_TOKEN SCREENSHOT.png
"use strict";
const path = require("path");
const puppeteer = require(path.join(__dirname, "..", "..", "node_modules",
  "puppeteer-core"));

(async () => {
  const [base, session, screenshot] = process.argv.slice(2);
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox"],
    headless: true,
  });
  const result = {
    operations: 0, errors: [], violations: [], failed: [], title: "", try_status: "",
  };
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.setCookie({ name: "ps_session", value: session, url: base });
    page.on("console", (message) => {
      if (message.type() === "error") result.errors.push(message.text());
    });
    page.on("pageerror", (error) => result.errors.push(String(error)));
    page.on("response", (response) => {
      if (response.status() >= 400) result.failed.push(`${response.status()} ${response.url()}`);
    });
    await page.evaluateOnNewDocument(() => {
      document.addEventListener("securitypolicyviolation", (event) => {
        console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    await page.goto(`${base}/docs`, { waitUntil: "networkidle0" });
    await page.waitForSelector(".swagger-ui .opblock", { timeout: 20000 });
    result.operations = await page.$$eval(".swagger-ui .opblock", (n) => n.length);
    result.title = await page.$eval(".swagger-ui .title", (n) => n.textContent);
    // "Try it out" on the first operation (GET /api/v1/decisions) runs
    // with the page's session cookie.
    await page.click(".swagger-ui .opblock .opblock-summary");
    await page.waitForSelector(".swagger-ui .try-out__btn", { timeout: 10000 });
    await page.click(".swagger-ui .try-out__btn");
    await page.waitForSelector(".swagger-ui .execute", { timeout: 10000 });
    await page.click(".swagger-ui .execute");
    await page.waitForSelector(".swagger-ui .live-responses-table tbody .response-col_status",
      { timeout: 10000 });
    result.try_status = await page.$eval(
      ".swagger-ui .live-responses-table tbody .response-col_status",
      (n) => n.textContent.trim());
    result.violations = result.errors.filter((e) => e.includes("Content Security Policy") || e.startsWith("CSP violation"));
    await page.screenshot({ path: screenshot, fullPage: false });
  } catch (error) {
    result.errors.push(String(error));
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(result) + "\n");
})();
