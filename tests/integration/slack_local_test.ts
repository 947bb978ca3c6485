/**
 * Slack on the running local stack (the one `deno task test` started): `simulate slack` links a
 * Slack user, adds and lists tasks and presses a button as Slack would (signed with the local
 * app's secret, answered through the stack's Slack sink), `--bot staging` talks to the second app
 * with its prefix, `--dm` and `--mention` write to the app through the Events API (answered in
 * the DM, or privately to the mentioner), and `slack:manifest --local` prints the stack's URL with
 * no variable given.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { main as slackManifest } from "../../adapters/slack/manifest_task.ts";
import { REPO_ROOT } from "../../dev/paths.ts";
import { integration, linkCodeFor, newUser, stackSetting, tokenFor } from "../fixtures.ts";
import { slackUser } from "../slack_fixtures.ts";

Deno.test(
  "slack on the local stack: simulate and slack:manifest --local",
  integration,
  async (t) => {
    const stateDir = stackSetting("STACK_STATE_DIR");
    const url = stackSetting("STACK_URL");
    const simulate = async (...args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${REPO_ROOT}/dev/simulate.ts`, "slack", ...args],
        env: { STACK_STATE_DIR: stateDir, STACK_PORT: "1" }, // the state folder wins
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();
      return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
    };
    const { user } = slackUser();

    await t.step("simulate slack <user> /link CODE, /add, /tasks, --press", async () => {
      const code = await linkCodeFor(await tokenFor(await newUser()));
      const linked = await simulate(user, `/link ${code}`);
      assertEquals(linked.code, 0, linked.stderr);
      assertMatch(linked.stdout, /^Linked! This Slack account now acts as you/);
      assertMatch(linked.stderr, /only you can see this/);
      const added = await simulate(user, "/add Call the bank & the dentist");
      assertMatch(added.stdout, /^Added #(\d+): Call the bank & the dentist$/);
      const id = /#(\d+)/.exec(added.stdout)![1];
      const listed = await simulate(user, "/tasks");
      assertMatch(
        listed.stdout,
        new RegExp(`• #${id} Call the bank & the dentist\\n\\[Done #${id}\\]`),
      );
      const pressed = await simulate(user, "--press", `Done #${id}`);
      assertEquals(pressed.code, 0, pressed.stderr);
      assertMatch(pressed.stderr, /\(message replaced\)/);
      assertMatch(pressed.stdout, new RegExp(`^Done: #${id} Call the bank & the dentist`));
      const missing = await simulate(user, "--press", "Nope");
      assertEquals(missing.code, 1);
      assertMatch(missing.stderr, /no button "Nope"/);
    });

    await t.step("simulate slack <user> --dm, --mention (the Events API)", async () => {
      const added = await simulate(user, "--dm", "add Water the plants");
      assertEquals(added.code, 0, added.stderr);
      assertMatch(added.stdout, /^Added #(\d+): Water the plants$/);
      assert(!/only you can see this/.test(added.stderr), "a DM answer shown as ephemeral");
      const id = /#(\d+)/.exec(added.stdout)![1];
      const listed = await simulate(user, "--mention", "tasks");
      assertEquals(listed.code, 0, listed.stderr);
      assertMatch(listed.stdout, new RegExp(`• #${id} Water the plants`));
      assertMatch(listed.stderr, /only you can see this/);
      const pressed = await simulate(user, "--press", `Done #${id}`);
      assertMatch(pressed.stdout, new RegExp(`^Done: #${id} Water the plants`));
      const unknown = await simulate(user, "--dm", "hello");
      assertEquals(unknown.stdout, "Unknown command. Send help (or /help) to see what I can do.");
    });

    await t.step("--bot staging: the second app, its prefix", async () => {
      const help = await simulate("--bot", "staging", user, "/staging-help");
      assertEquals(help.code, 0, help.stderr);
      assertMatch(help.stdout, /\/staging-add <title> - Add a task/);
      const unknown = await simulate("--bot", "nope", user, "/help");
      assertEquals(unknown.code, 2);
      assertMatch(unknown.stderr, /no slack bot 'nope' \(default, staging\)/);
    });

    await t.step("slack:manifest --local [--bot staging]", async () => {
      for (
        const [args, route, first] of [[[], "", "/help"], [
          ["--bot", "staging"],
          "/staging",
          "/staging-help",
        ]] as const
      ) {
        const lines: string[] = [];
        const code = await slackManifest(
          ["--local", ...args],
          { STACK_STATE_DIR: stateDir },
          (l) => lines.push(l),
        );
        assertEquals(code, 0, lines.join("\n"));
        const manifest = JSON.parse(lines.join("\n"));
        assertEquals(
          manifest.settings.interactivity.request_url,
          `${url}/functions/v1/gateway/slack${route}`,
        );
        assertEquals(manifest.features.slash_commands[0].command, first);
        const secrets = JSON.parse(await Deno.readTextFile(`${stateDir}/channels.json`));
        assert(!lines.join("").includes(secrets.slackSigningSecret), "secret printed");
      }
    });
  },
);
