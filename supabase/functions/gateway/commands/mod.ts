/**
 * The app's command registry: the one list every channel serves. Add a command here and it
 * appears in Telegram /help, Discord registration and the HTTPS catalogue.
 */
import type { AnyCommand } from "../../_shared/command.ts";
import { help, link, linkCode, start, unlink, whoami } from "./account.ts";
import { add, done, tasks } from "./tasks.ts";

export const commands: readonly AnyCommand[] = [
  start,
  help,
  link,
  unlink,
  whoami,
  tasks,
  add,
  done,
  linkCode,
];
