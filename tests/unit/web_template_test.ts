/**
 * The web page template (templates/web/) without a browser: its QR codes decode (jsQR) to the
 * text they were made from; the React equivalent type-checks against React's and supabase-js's
 * own types; the files load nothing from outside and hold nothing of the local stack (the demo
 * sign-in) or of the service role. The page itself runs in Chromium in
 * tests/integration/web_page_test.ts.
 */
import jsQRModule from "jsqr";
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { REPO_ROOT } from "../../dev/paths.ts";
import { qrMatrix } from "../../templates/web/qr.js";

/** jsQR is CommonJS: what a default import gives is the function itself, whatever its types say. */
const jsQR = jsQRModule as unknown as (
  data: Uint8ClampedArray,
  width: number,
  height: number,
) => { data: string } | null;

const TEMPLATE = `${REPO_ROOT}/templates/web`;
/** React's types the component is checked against (18 and 19 share what it uses). */
const REACT_TYPES = "@types/react@19.2.7";

/** What a camera would read: the matrix drawn 4 pixels a module with its quiet zone, decoded. */
function scan(grid: boolean[][]): string | undefined {
  const scale = 4, n = (grid.length + 8) * scale;
  const pixels = new Uint8ClampedArray(n * n * 4).fill(255);
  grid.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (!dark) return;
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          const i = (((y + 4) * scale + dy) * n + (x + 4) * scale + dx) * 4;
          pixels[i] = pixels[i + 1] = pixels[i + 2] = 0;
        }
      }
    })
  );
  return jsQR(pixels, n, n)?.data;
}

Deno.test("qr.js: every size it makes decodes to its text", () => {
  const texts = [
    "a",
    "https://t.me/LocalGatewayBot?start=ABCDEFGHJK",
    "https://t.me/a_bot_name_of_thirty_two_letters_x?start=ABCDEFGHJK",
    "ü".repeat(30), // UTF-8: two bytes each
    "y".repeat(40),
    "q".repeat(106), // the most version 6 holds at level M
  ];
  const versions = new Set<number>();
  for (const text of texts) {
    const grid = qrMatrix(text);
    versions.add((grid.length - 17) / 4);
    assertEquals(scan(grid), text);
  }
  assertEquals([...versions].sort(), [1, 3, 4, 5, 6]);
  assertThrows(() => qrMatrix("q".repeat(107)), RangeError);
});

Deno.test("qr.js: bit for bit what an independent encoder draws, with each of the 8 masks", async () => {
  // SHA-256 of the 8 matrices (one per mask, rows of 0 and 1, each row ending in a newline) that
  // the npm package qrcode 1.5.4 draws for the same bytes at level M and the same version: the
  // data, Reed-Solomon blocks, interleaving, masks and format bits all agree with it.
  const golden: [string, string][] = [
    [
      "https://t.me/LocalGatewayBot?start=ABCDEFGHJK", // version 4: 2 blocks
      "f72ca4ef2b62051de39ef1759c63ed508f5fc2feaf3c17270b463645d4050fbf",
    ],
    [
      "Grüße aus der Küche! ".repeat(4), // 96 bytes, version 6: 4 blocks
      "9a29c44d21441523cc920a8cba616c4fead8a85165c169e1fa0e7aedf7cfbea0",
    ],
  ];
  for (const [text, digest] of golden) {
    let drawn = "";
    for (let mask = 0; mask < 8; mask++) {
      for (const row of qrMatrix(text, mask)) {
        drawn += row.map((d) => (d ? "1" : "0")).join("") + "\n";
      }
    }
    const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(drawn));
    const hex = Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, "0")).join("");
    assertEquals(hex, digest, text);
  }
});

Deno.test("ChatAccounts.tsx type-checks with React's types and supabase-js's", async () => {
  const dir = await Deno.makeTempDir({ prefix: "react-template-" });
  try {
    for (const file of ["ChatAccounts.tsx", "qr.js"]) {
      await Deno.copyFile(`${TEMPLATE}/${file}`, `${dir}/${file}`);
    }
    const supabase = JSON.parse(await Deno.readTextFile(`${REPO_ROOT}/deno.json`))
      .imports["@supabase/supabase-js"];
    await Deno.writeTextFile(
      `${dir}/deno.json`,
      JSON.stringify({
        // Types only: the component is checked, never run here.
        imports: {
          react: `npm:${REACT_TYPES}`,
          "react/": `npm:/${REACT_TYPES}/`,
          "@supabase/supabase-js": supabase,
        },
        compilerOptions: {
          jsx: "react-jsx",
          jsxImportSource: "react",
          lib: ["dom", "dom.iterable", "esnext"],
          strict: true,
        },
      }),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "check",
        "--no-lock",
        "--quiet",
        "--config",
        `${dir}/deno.json`,
        `${dir}/ChatAccounts.tsx`,
      ],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const said = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 0, said);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the template loads nothing from outside and holds no local-only part", async () => {
  const files: Record<string, string> = {};
  for await (const entry of Deno.readDir(TEMPLATE)) {
    files[entry.name] = await Deno.readTextFile(`${TEMPLATE}/${entry.name}`);
  }
  const outside: string[] = [];
  for (const [name, text] of Object.entries(files)) {
    // Scripts, styles, images and imports: relative (or a package name in the React file).
    for (const m of text.matchAll(/<(?:script|link|img)\b[^>]*\b(?:src|href)="([^"]+)"/g)) {
      if (/^[a-z]+:|^\/\//i.test(m[1])) outside.push(`${name}: ${m[0]}`);
    }
    for (const m of text.matchAll(/^import\b[^"']*["']([^"']+)["']/gm)) {
      if (!m[1].startsWith("./") && !(name.endsWith(".tsx") && /^(react|@supabase\/)/.test(m[1]))) {
        outside.push(`${name}: ${m[0]}`);
      }
    }
    for (const m of text.matchAll(/@import|url\(|fetch\(/g)) outside.push(`${name}: ${m[0]}`);
    for (const m of text.matchAll(/Sign in as|__local|service_role|SERVICE_ROLE|secret/gi)) {
      outside.push(`${name}: local-only or secret: ${m[0]}`);
    }
  }
  assertEquals(outside, []);
  for (const name of ["chat-accounts.html", "chat-accounts.js", "ChatAccounts.tsx", "qr.js"]) {
    assert(name in files, `templates/web/${name} is missing`);
  }
  // The visible words the page is driven by.
  for (const words of ['"Create link code"', '"Unlink"', '" Notifications"']) {
    assert(
      files["chat-accounts-view.js"].includes(words) || files["chat-accounts.js"].includes(words),
      words,
    );
  }
  // The modules load in Deno too (no syntax error; nothing runs until they are mounted).
  const mod = await import("../../templates/web/chat-accounts.js");
  assertEquals(typeof mod.mountChatAccounts, "function");
});
