/**
 * The setup tasks and the simulator against the running local stack (the one `deno task test`
 * started, found through its state folder): `telegram:webhook --local` sets and shows the webhook
 * on the stack's Telegram sink, `discord:register --local` registers the registry's commands on
 * its Discord sink (global and guild), `--all` does so for every local bot (Discord verifying each
 * endpoint by signed PINGs to the stack's gateway), `status --local` then finds nothing, and a
 * webhook pointed elsewhere through the sink is reported; `simulate discord` takes Discord's
 * `code:XYZ` syntax. No channel variable is given to any of them: `--local` needs none; bot
 * variables that are given win over the stack's defaults, as they do for the stack's gateway.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { main as telegramWebhook } from "../../adapters/telegram/webhook_task.ts";
import { registerCommands } from "../../adapters/discord/register_task.ts";
import { status } from "../../adapters/status/task.ts";
import { telegramCommandMenu } from "../../adapters/telegram/setup.ts";
import { taskEnv } from "../../adapters/task_bots.ts";
import { REPO_ROOT } from "../../dev/paths.ts";
import { listedOn } from "../../supabase/functions/_shared/command.ts";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";
import {
  integration,
  linkCodeFor,
  newUser,
  randomExternalId,
  stackSetting,
  tokenFor,
} from "../fixtures.ts";

const GUILD = "900000000000000042";

Deno.test("setup tasks with --local, and simulate discord", integration, async (t) => {
  const stateDir = stackSetting("STACK_STATE_DIR");
  const url = stackSetting("STACK_URL");
  const env = { STACK_STATE_DIR: stateDir }; // nothing else: --local finds the rest
  const secrets = JSON.parse(await Deno.readTextFile(`${stateDir}/channels.json`));

  await t.step("telegram:webhook --local sets the webhook on the stack's sink", async () => {
    const lines: string[] = [];
    assertEquals(await telegramWebhook(["--local"], env, (l) => lines.push(l)), 0, lines[0]);
    assertEquals(lines, [
      `default (@LocalGatewayBot): webhook set to ${url}/functions/v1/gateway/telegram; ` +
      `commands: /${telegramCommandMenu(commands).map((c) => c.command).join(", /")}`,
    ]);
    assert(!lines[0].includes(secrets.telegramBotToken), "bot token printed");
  });
  await t.step("telegram:webhook --local --info shows it", async () => {
    const lines: string[] = [];
    assertEquals(await telegramWebhook(["--local", "--info"], env, (l) => lines.push(l)), 0);
    assertEquals(JSON.parse(lines.join("\n")).url, `${url}/functions/v1/gateway/telegram`);
  });
  await t.step("discord:register --local, global and guild", async () => {
    const names = listedOn(commands, "discord").map((c) => `/${c.name}`).join(" ");
    for (
      const [args, where] of [[[], "all servers (global)"], [["--guild", GUILD], `guild ${GUILD}`]]
    ) {
      const lines: string[] = [];
      await registerCommands({ args: ["--local", ...args], env, print: (l) => lines.push(l) });
      assertEquals(
        lines[0],
        `default (app ${secrets.discordApplicationId}): ` +
          `Registered ${names.split(" ").length} commands for ${where}: ${names}`,
      );
    }
    const stored = async (guild?: string) => {
      const q = `application_id=${secrets.discordApplicationId}${
        guild ? `&guild_id=${guild}` : ""
      }`;
      const list = await (await fetch(`${url}/__sinks/discord/commands?${q}`)).json();
      return list.map((c: { name: string }) => `/${c.name}`).join(" ");
    };
    assertEquals(await stored(), names);
    assertEquals(await stored(GUILD), names);
  });
  await t.step("--all for every local bot, then status --local finds nothing", async () => {
    const quiet = () => {};
    assertEquals(await telegramWebhook(["--local", "--all"], env, quiet), 0);
    // The sink verifies each endpoint with signed PINGs to the stack's gateway, as Discord does.
    await registerCommands({ args: ["--local", "--all", "--endpoint"], env, print: quiet });
    const lines: string[] = [];
    assertEquals(await status({ args: ["--local"], env, print: (l) => lines.push(l) }), 0);
    const staging = secrets.bots.discord[0].applicationId;
    assertEquals(lines, [
      "telegram default (@LocalGatewayBot): ok",
      "telegram staging (@LocalStagingBot): ok",
      `discord default (app ${secrets.discordApplicationId}): ok`,
      `discord staging (app ${staging}): ok`,
    ]);
  });
  await t.step("status --local reports a webhook the sink pointed elsewhere", async () => {
    const token = secrets.bots.telegram[0].token;
    const set = await fetch(`${url}/__sinks/telegram/bot${token}/setWebhook`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url: "https://elsewhere.example/hook" }),
    });
    assertEquals((await set.json()).ok, true);
    const lines: string[] = [];
    const code = await status({
      args: ["--local", "--bot", "staging"],
      env,
      print: (l) => lines.push(l),
    });
    assertEquals(code, 1);
    assertEquals(lines.slice(0, 4), [
      "telegram staging (@LocalStagingBot): 1 difference",
      "    webhook points to https://elsewhere.example/hook, not to this gateway's " +
      `${url}/functions/v1/gateway/telegram/staging`,
      "    fix: deno task telegram:webhook --local --bot staging",
      `discord staging (app ${secrets.bots.discord[0].applicationId}): ok`,
    ]);
    assert(!lines.join("\n").includes(token), "bot token printed");
    assertEquals(await telegramWebhook(["--local", "--bot", "staging"], env, () => {}), 0);
    assertEquals(await status({ args: ["--local"], env, print: () => {} }), 0);
  });
  await t.step("--local reads the bots as the stack does: exported variables win", async () => {
    const ro = {
      name: "ro",
      token: "7100000099:RO_" + "r".repeat(30),
      secret: "ro_secret_" + "r".repeat(24),
      username: "ReadOnlyBot",
      commands: ["help", "tasks"],
      apiRoot: `${url}/__sinks/telegram`,
    };
    const exported = {
      ...env,
      TELEGRAM_BOTS: JSON.stringify([ro]),
      SUPABASE_URL: "https://project.example.supabase.co",
    };
    const read = await taskEnv(exported, true);
    assertEquals(read.TELEGRAM_BOTS, exported.TELEGRAM_BOTS, "the exported bots");
    assertEquals(read.TELEGRAM_BOT_TOKEN, secrets.telegramBotToken, "local defaults fill the rest");
    assertEquals(read.SUPABASE_URL, url, "--local is this stack");
    const lines: string[] = [];
    const code = await telegramWebhook(
      ["--local", "--bot", "ro"],
      exported,
      (l) => lines.push(l),
    );
    assertEquals(code, 0, lines[0]);
    assertEquals(lines, [
      `ro (@ReadOnlyBot): webhook set to ${url}/functions/v1/gateway/telegram/ro; ` +
      "commands: /help, /tasks",
    ]);
    const seen: string[] = [];
    const checked = await status({
      args: ["--local", "--bot", "ro"],
      env: exported,
      print: (l) => seen.push(l),
    });
    assertEquals([checked, seen], [0, ["telegram ro (@ReadOnlyBot): ok"]]);
  });
  await t.step("--local without a running stack: one line saying so", async () => {
    const empty = await Deno.makeTempDir();
    try {
      const lines: string[] = [];
      assertEquals(
        await telegramWebhook(["--local"], { STACK_STATE_DIR: empty }, (l) => lines.push(l)),
        2,
      );
      assertEquals(lines, [
        `error: no local stack is running from ${empty}: start it with ./deno task dev`,
      ]);
      let message = "";
      await registerCommands({ args: ["--local"], env: { STACK_STATE_DIR: empty } }).catch(
        (err) => message = err.message,
      );
      assertMatch(message, /^no local stack is running from /);
    } finally {
      await Deno.remove(empty, { recursive: true });
    }
  });
  await t.step("simulate discord <id> /link code:XYZ links the account", async () => {
    const code = await linkCodeFor(await tokenFor(await newUser()));
    const simulate = async (...args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${REPO_ROOT}/dev/simulate.ts`, "discord", ...args],
        env: { STACK_STATE_DIR: stateDir, STACK_PORT: "1" }, // the state folder wins
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();
      return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
    };
    const id = randomExternalId();
    const linked = await simulate(id, "/link", `code:${code}`);
    assertEquals(linked.code, 0, linked.stderr);
    assertMatch(linked.stdout, /^Linked!/);
    const bad = await simulate(id, "link", "ABCD");
    assertEquals(bad.code, 1);
    assertMatch(bad.stderr, /not an option: write options as name:value/);
  });
});
