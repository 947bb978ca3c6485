/**
 * The chat accounts page in a real browser (Chromium, headless) at the test stack's front door, as
 * a person uses it: sign in as alice from the keyboard, create a link code, link a Telegram account
 * through a signed update to the stack's webhook, see it appear, read the notifications sent to
 * it, switch its notifications off (the row changes), unlink it (the row goes), and sign in as bob,
 * who sees none of it. No console errors, no request outside the page's origin. A screenshot is
 * kept in `.local/test-output/chat-accounts.png` (its path is printed).
 */
import jsQRModule from "jsqr";
import type { Page } from "puppeteer-core";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { REPO_ROOT } from "../../dev/paths.ts";
import {
  ALICE,
  integration,
  postUpdate,
  psql,
  randomExternalId,
  stackSetting,
  telegramMessage,
} from "../fixtures.ts";
import { launchChromium } from "../support/browser.ts";
import { drainNow } from "../support/notify.ts";

// The callbacks given to the page run there, in the browser; Deno's types have no DOM.
// deno-lint-ignore no-explicit-any
declare const document: any, Image: any, XMLSerializer: any, sessionStorage: any, localStorage: any;
/** jsQR is CommonJS: what a default import gives is the function itself, whatever its types say. */
const jsQR = jsQRModule as unknown as (
  data: Uint8ClampedArray,
  width: number,
  height: number,
) => { data: string } | null;
/** What the tests read of an element in the page. */
interface PageElement {
  innerText: string;
  checked: boolean;
  labels: { textContent: string | null }[] | null;
  blur(): void;
}

const SCREENSHOT = `${REPO_ROOT}/.local/test-output/chat-accounts.png`;

/** The stack's own gateway (the one the page calls), for the webhook and the drain. */
function stackGateway() {
  const base = `${stackSetting("STACK_URL")}/functions/v1/gateway`;
  const env = Object.fromEntries(
    ["TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_BOT_TOKEN", "SUPABASE_SERVICE_ROLE_KEY"]
      .map((name) => [name, stackSetting(name)]),
  );
  return { env, request: (path: string, init?: RequestInit) => fetch(base + path, init) };
}

/** Who writes to the bot in the first link: a person's name, as the README's picture shows. */
const ADA = { username: "ada_lovelace", first_name: "Ada", last_name: "Lovelace" };
const HOSTILE = "<img src=x onerror=alert(1)>";

/** `/start <code>` from Telegram account `fromId`, posted to the stack's webhook. */
function sendStart(
  gateway: ReturnType<typeof stackGateway>,
  fromId: string,
  code: string,
  from: Record<string, string>,
): Promise<Response> {
  const update = telegramMessage({ fromId, text: `/start ${code}` });
  const sender = (update.message as { from: Record<string, unknown> }).from;
  delete sender.username;
  Object.assign(sender, from);
  return postUpdate(gateway, update);
}

/**
 * What a phone's camera reads from the first QR code matching `selector`: the page draws the SVG
 * it shows onto a canvas (6 pixels a module), jsQR decodes the pixels.
 */
async function scanQr(page: Page, selector: string): Promise<string | undefined> {
  const { size, pixels } = await page.$eval(selector, async (svg) => {
    const n = Number(svg.getAttribute("viewBox")?.split(" ")[2]);
    const image = new Image();
    image.src = `data:image/svg+xml;base64,${btoa(new XMLSerializer().serializeToString(svg))}`;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = n * 6;
    const context = canvas.getContext("2d");
    context.drawImage(image, 0, 0, n * 6, n * 6);
    return { size: n * 6, pixels: Array.from(context.getImageData(0, 0, n * 6, n * 6).data) };
  });
  return jsQR(new Uint8ClampedArray(pixels as number[]), size, size)?.data;
}

/** The page's live status line once it says something matching `pattern`. */
async function statusSays(page: Page, pattern: RegExp): Promise<string> {
  const handle = await page.waitForFunction(
    (source) => {
      const text = document.querySelector("[role=status].ca-status")?.textContent ?? "";
      return new RegExp(source).test(text) && text;
    },
    {},
    pattern.source,
  );
  return String(await handle.jsonValue());
}

/** The superuser's view of the test's chat account: its `notify`, or null once unlinked. */
async function notifyColumn(externalId: string): Promise<string | null> {
  const out = await psql(
    `select notify from public.chat_identities
     where provider = 'telegram' and external_id = '${externalId}'`,
  );
  return out === "" ? null : out;
}

Deno.test("web page: link, notifications and unlink in a real browser", integration, async (t) => {
  const origin = stackSetting("STACK_URL");
  const gateway = stackGateway();
  const [tg, tg2] = [randomExternalId(), randomExternalId()];
  const [row, row2] = [tg, tg2].map((id) => `tr[data-account="telegram:${id}"]`);
  const chromium = await launchChromium();
  try {
    const { page, problems } = await chromium.open(origin);
    await page.goto(`${origin}/`, { waitUntil: "load" });

    await t.step("signs in as alice from the keyboard", async () => {
      await page.keyboard.press("Tab");
      const focused = await page.evaluate(() => document.activeElement?.textContent);
      assertEquals(focused, "Sign in as alice@example.com");
      await page.keyboard.press("Enter");
      await page.waitForFunction(() =>
        document.getElementById("signed-in")?.textContent === "Signed in as alice@example.com."
      );
      await page.waitForSelector("[data-part=accounts]:not([aria-busy])");
    });

    let code = "";
    await t.step(
      "creates a link code with each bot's deep link and the other syntaxes",
      async () => {
        await page.locator('::-p-aria(Create link code[role="button"])').click();
        await page.waitForSelector("[data-code]");
        code = await page.$eval("[data-code]", (e) => e.textContent ?? "");
        assertMatch(code, /^[A-HJ-NP-Z2-9]{10}$/);
        const panel = await page.$eval(".ca-code", (e) => (e as unknown as PageElement).innerText);
        assert(panel.includes(`/link code:${code}`), panel);
        assert(panel.includes(`/link ${code}`), panel);
        const link = `https://t.me/LocalGatewayBot?start=${code}`;
        assertEquals(await page.$$eval(`a[href="${link}"]`, (a) => a.length), 1);
        assertEquals(await scanQr(page, ".ca-telegram svg[role=img][aria-label]"), link);
      },
    );

    await t.step("the account linked on Telegram appears without a reload", async () => {
      const res = await sendStart(gateway, tg, code, ADA);
      assertEquals(res.status, 200);
      await page.waitForSelector(row, { timeout: 6_000 }); // the page looks every 2 s
      await statusSays(page, /^Linked Telegram \u2068@ada_lovelace\u2069\.$/);
      const text = await page.$eval(row, (e) => (e as unknown as PageElement).innerText);
      assertMatch(text, /@ada_lovelace Ada Lovelace/);
      assertEquals(await page.$$eval(".ca-code", (c) => c.length), 0, "the used code stays shown");
    });

    await t.step("notifications off from the keyboard: the row changes", async () => {
      assertEquals(await notifyColumn(tg), "t");
      await psql(`select public.gateway_notify('${ALICE.id}', 'Your order shipped')`);
      await drainNow(gateway);
      await page.focus(`${row} input[type=checkbox]`);
      const label = await page.$eval(
        `${row} input[type=checkbox]`,
        (b) => (b as unknown as PageElement).labels?.[0]?.textContent?.trim(),
      );
      assertEquals(label, "Notifications");
      await page.keyboard.press("Space");
      await statusSays(page, /^Notifications off for Telegram/);
      assertEquals(await notifyColumn(tg), "f");
      assertEquals(
        await page.$eval(`${row} input`, (b) => (b as unknown as PageElement).checked),
        false,
      );
    });

    await t.step("the latest notifications show their status and reason", async () => {
      await psql(`select public.gateway_notify('${ALICE.id}', 'Your invoice is ready')`);
      await page.locator('::-p-aria(Refresh[role="button"])').click();
      await page.waitForFunction(() =>
        document.querySelector("tr[data-status=skipped]")?.textContent?.includes(
          "notifications are off for this account",
        )
      );
      const sent = await page.$$eval("tr[data-status=sent]", (r) => r.map((e) => e.textContent));
      assert(sent.some((s) => s?.includes("@ada_lovelace")), JSON.stringify(sent));
      // The README's picture: a fresh code with its QR code, the account, what was sent.
      await page.locator('::-p-aria(Create link code[role="button"])').click();
      await statusSays(page, /^Your link code is/);
      await page.evaluate(() => document.activeElement?.blur());
      await Deno.mkdir(`${REPO_ROOT}/.local/test-output`, { recursive: true });
      await page.screenshot({ path: SCREENSHOT as `${string}.png`, fullPage: true });
      console.log(`screenshot: ${SCREENSHOT}`);
    });

    await t.step(
      "the template's own HTML shows the same, with the session supabase-js keeps",
      async () => {
        const template = `${origin}/templates/web/chat-accounts.html`;
        await page.goto(template, { waitUntil: "load" });
        await page.waitForFunction(() =>
          document.getElementById("chat-accounts")?.textContent ===
            "Sign in to manage your chat accounts."
        );
        // What supabase-js stores after the app's sign-in (here: the token the local page got).
        await page.evaluate(() => {
          const local = JSON.parse(sessionStorage.getItem("local-stack-session"));
          const claims = JSON.parse(
            atob(local.access_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")),
          );
          localStorage.setItem(
            `sb-${location.hostname.split(".")[0]}-auth-token`,
            JSON.stringify({
              access_token: local.access_token,
              refresh_token: "local-only",
              token_type: "bearer",
              expires_at: local.expires_at,
              expires_in: local.expires_at - Math.floor(Date.now() / 1000),
              user: {
                id: claims.sub,
                aud: "authenticated",
                role: "authenticated",
                email: claims.email,
                app_metadata: claims.app_metadata,
                user_metadata: claims.user_metadata,
                created_at: new Date().toISOString(),
              },
            }),
          );
        });
        await page.goto(template, { waitUntil: "load" });
        await page.waitForSelector(`${row} input[type=checkbox]:not(:checked)`);
        await page.$eval('::-p-aria(Create link code[role="button"])', () => {});
        await page.evaluate(() => localStorage.clear());
        await page.goto(`${origin}/`, { waitUntil: "load" }); // the tab keeps its local sign-in
        await page.waitForSelector(row);
      },
    );

    await t.step("unlink: the row goes, the focus moves to the list's heading", async () => {
      await page.locator(`${row} ::-p-aria(Unlink[role="button"])`).click();
      await statusSays(page, /^Unlinked Telegram/);
      await page.waitForSelector(row, { hidden: true });
      assertEquals(await notifyColumn(tg), null);
      const focused = await page.evaluate(() => document.activeElement?.textContent);
      assertEquals(focused, "Linked accounts");
    });

    await t.step("bob sees none of alice's accounts, and names only as text", async () => {
      await page.locator("::-p-aria(Sign in as bob@example.com)").click();
      await page.waitForFunction(() =>
        document.getElementById("signed-in")?.textContent === "Signed in as bob@example.com."
      );
      await page.waitForSelector("[data-part=accounts]:not([aria-busy])");
      assertEquals(await page.$$eval(row, (r) => r.length), 0);
      await page.locator('::-p-aria(Create link code[role="button"])').click();
      await page.waitForSelector("[data-code]");
      const bobsCode = await page.$eval("[data-code]", (e) => e.textContent ?? "");
      // A name from Telegram that a page must never read as HTML.
      assertEquals((await sendStart(gateway, tg2, bobsCode, { first_name: HOSTILE })).status, 200);
      await page.locator('::-p-aria(Refresh[role="button"])').click();
      await page.waitForSelector(row2);
      const text = await page.$eval(row2, (e) => (e as unknown as PageElement).innerText);
      assert(text.includes(HOSTILE), text);
      assertEquals(await page.$$eval("main img", (i) => i.length), 0);
    });

    await t.step("no console error, no failed request, nothing from outside", () => {
      assertEquals(problems.list, []);
    });
  } finally {
    await chromium.close();
    await psql(
      `delete from public.chat_identities
       where provider = 'telegram' and external_id in ('${tg}', '${tg2}')`,
    );
  }
});
