/**
 * The app's command registry: the one list every channel serves. Add a command here and it
 * appears in Telegram /help, Discord registration and the HTTPS catalogue (see docs/adopt.md,
 * and templates/command/ for a command with its migration and test).
 */
import type { AnyCommand } from "../../_shared/command.ts";
import { help, link, linkCode, start, unlink, whoami } from "./account.ts";
import { notifications } from "./notifications.ts";
import { add, done, tasks, undo } from "./tasks.ts";

export const commands: readonly AnyCommand[] = [
  // The gateway's own: linking, help, who am I. Keep these.
  start,
  help,
  link,
  unlink,
  whoami,
  linkCode,
  notifications,
  // The app's commands: the demo's tasks. Replace them with yours.
  tasks,
  add,
  done,
  undo,
];
