/**
 * `deno run -A bench/startup.ts [runs]`: where a cold start goes, phase by phase, each in a fresh
 * process (median of `runs`, default 7): Deno until this module runs, importing the gateway,
 * reading the configuration, building it, the first `/health`, the first command (a user's
 * `/tasks` over HTTPS, its upstream answered at once from canned answers as in inproc.ts, so the
 * time is the gateway's own), the second. The bench's cold start (spawn to the first answered
 * `/tasks` over the network) adds the listening socket and the real PostgREST call.
 * `--a <checkout>`: alternate with another checkout's gateway (its bench/startup.ts), to compare.
 */
import { median } from "./memory.ts";

if (Deno.args[0] === "--child") {
  // One cold start, in this fresh process; each phase's end, in ms since the process began.
  const marks: [string, number][] = [["Deno, until the main module runs", performance.now()]];
  const mark = (name: string) => marks.push([name, performance.now()]);
  const { cannedGateway } = await import("./canned.ts");
  const made = await cannedGateway(mark);
  const health = await made.gateway(new Request(`${made.base}/health`));
  await health.arrayBuffer();
  mark("first /health");
  for (const name of ["first /tasks", "second /tasks"]) {
    const res = await made.gateway(made.command("tasks", made.alice, "{}")());
    if (res.status !== 200) throw new Error(`/tasks: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
    mark(name);
  }
  console.log(JSON.stringify(marks));
  Deno.exit(0);
}

const other = Deno.args.includes("--a") ? Deno.args[Deno.args.indexOf("--a") + 1] : undefined;
const runs = Number(Deno.args.find((a) => /^\d+$/.test(a)) ?? 7);
const versions = other ? { A: other, B: "." } : { "": "." };
const phases = new Map<string, number[]>();
for (let i = 0; i < runs; i++) {
  for (const [version, dir] of Object.entries(versions)) {
    const root = await Deno.realPath(dir);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-prompt", `${root}/bench/startup.ts`, "--child"],
      cwd: root,
      stdout: "piped",
      stderr: "inherit",
    }).output();
    const marks = JSON.parse(new TextDecoder().decode(out.stdout)) as [string, number][];
    let last = 0;
    const add = (name: string, ms: number) =>
      phases.set(`${version} ${name}`, [...(phases.get(`${version} ${name}`) ?? []), ms]);
    for (const [name, at] of marks) {
      add(name, at - last);
      last = at;
    }
    add("process start to the first /tasks", marks.find(([n]) => n === "first /tasks")![1]);
  }
}
for (const [name, ms] of phases) {
  console.log(`${name.trim().padEnd(42)} ${median(ms).toFixed(1).padStart(7)} ms`);
}
