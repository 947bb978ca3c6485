/**
 * A real browser for the page tests: Debian's Chromium (`/usr/bin/chromium`, or `CHROMIUM_PATH`)
 * driven by puppeteer-core, headless, with a fresh profile, and with the flags this machine
 * needs (no background networking, sync or component updates: nothing is reachable from here,
 * and the page must load nothing from outside anyway). A missing browser fails the test with
 * what to install; it never skips.
 */
import puppeteer, { type Browser, type Page } from "puppeteer-core";

/** Where Chromium is: `CHROMIUM_PATH`, else Debian's package's binary. */
export const CHROMIUM_PATH = Deno.env.get("CHROMIUM_PATH")?.trim() || "/usr/bin/chromium";

/** What the page did that a person would see as broken: console errors, uncaught exceptions,
 * failed requests, and requests to any origin but the page's own. */
export interface PageProblems {
  list: string[];
}

/** A running Chromium with its throw-away profile. */
export interface TestBrowser {
  browser: Browser;
  /** A new tab (900 px wide) whose problems are collected into `problems.list`. */
  open(origin: string): Promise<{ page: Page; problems: PageProblems }>;
  close(): Promise<void>;
}

/** Starts Chromium; throws a one-line error naming the package when it is not installed. */
export async function launchChromium(): Promise<TestBrowser> {
  const found = await Deno.stat(CHROMIUM_PATH).then((s) => s.isFile, () => false);
  if (!found) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}: the page test needs a real browser. ` +
        "Install Debian's package (apt-get install chromium; ./deno does it when run as root) " +
        "or set CHROMIUM_PATH.",
    );
  }
  const profile = await Deno.makeTempDir({ prefix: "chromium-profile-" });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
    ],
  });
  return {
    browser,
    async open(origin) {
      const page = await browser.newPage();
      page.setDefaultTimeout(10_000);
      await page.setViewport({ width: 900, height: 800 });
      const problems: PageProblems = { list: [] };
      page.on("console", (m) => {
        if (m.type() === "error") problems.list.push(`console error: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.list.push(`uncaught: ${e}`));
      page.on("requestfailed", (r) => problems.list.push(`request failed: ${r.url()}`));
      page.on("request", (r) => {
        const url = r.url();
        if (!url.startsWith(`${origin}/`) && !url.startsWith("data:")) {
          problems.list.push(`request outside ${origin}: ${url}`);
        }
      });
      return { page, problems };
    },
    async close() {
      await browser.close().catch(() => {});
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
