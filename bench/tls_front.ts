/**
 * The hosted-like path: nginx (Debian `nginx-light`, what Kong runs on) terminating TLS in front
 * of PostgREST under `/rest/v1/`, as hosted Supabase's API gateway does, with a certificate from
 * a local CA made at bench time (`.local/bench/tls`, never committed). Gateways, the peer and the
 * floor on this path get an `https://` SUPABASE_URL and trust the CA through `DENO_CERT`, so their
 * calls go over Deno's `fetch` and TLS as on the platform. Not a Deno.serve TLS front: on
 * loopback it stalls about 40 ms per answer, which would measure the front, not the path.
 */
import { freePort } from "../dev/ports.ts";
import { ensureDebianPackage } from "./wrk.ts";

/** A running TLS front. */
export interface TlsFront {
  /** `https://127.0.0.1:<port>`: the SUPABASE_URL of the TLS path. */
  url: string;
  /** The CA certificate (PEM file) to trust through `DENO_CERT`. */
  caFile: string;
  /** nginx's configuration file: its master process names it (CPU accounting). */
  confFile: string;
  stop(): Promise<void>;
}

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args[0]} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

/** A CA and a server certificate for 127.0.0.1 signed by it (P-256, valid two days). */
async function makeCertificates(dir: string): Promise<void> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await run("openssl", [
    "req",
    "-x509",
    ...ec,
    "-keyout",
    `${dir}/ca.key`,
    "-out",
    `${dir}/ca.pem`,
    "-days",
    "2",
    "-subj",
    "/CN=gateway bench CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  await run("openssl", [
    "req",
    ...ec,
    "-keyout",
    `${dir}/server.key`,
    "-out",
    `${dir}/server.csr`,
    "-subj",
    "/CN=127.0.0.1",
  ]);
  await Deno.writeTextFile(
    `${dir}/server.ext`,
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n" +
      "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
  );
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    `${dir}/server.csr`,
    "-CA",
    `${dir}/ca.pem`,
    "-CAkey",
    `${dir}/ca.key`,
    "-CAcreateserial",
    "-out",
    `${dir}/server.pem`,
    "-days",
    "2",
    "-extfile",
    `${dir}/server.ext`,
  ]);
}

/** Stops an nginx a bench that was interrupted left running on `dir` (its pid file names it). */
async function stopLeftover(dir: string): Promise<void> {
  const pid = Number(await Deno.readTextFile(`${dir}/nginx.pid`).catch(() => ""));
  if (!(pid > 0)) return;
  const ours = await Deno.readTextFile(`/proc/${pid}/cmdline`).then(
    (cmd) => cmd.startsWith("nginx: master process") && cmd.includes(`${dir}/nginx.conf`),
    () => false,
  );
  if (!ours) return;
  Deno.kill(pid, "SIGQUIT");
  for (
    let i = 0;
    i < 100 && await Deno.stat(`/proc/${pid}/cmdline`).then(() => true, () => false);
    i++
  ) {
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Starts nginx on a free port, TLS (HTTP/2 and HTTP/1.1, as the platform's edge offers) in front
 * of `restUrl` under `/rest/v1/`, with keep-alive to PostgREST.
 */
export async function startTlsFront(
  stateDir: string,
  restUrl: string,
  log: (line: string) => void,
): Promise<TlsFront> {
  await ensureDebianPackage("nginx", "nginx-light", log);
  const dir = `${stateDir}/tls`;
  await stopLeftover(dir);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  await makeCertificates(dir);
  const port = freePort();
  const upstream = new URL(restUrl).host;
  const confFile = `${dir}/nginx.conf`;
  await Deno.writeTextFile(
    confFile,
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream postgrest {
    server ${upstream};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port} ssl http2;
    ssl_certificate ${dir}/server.pem;
    ssl_certificate_key ${dir}/server.key;
    ssl_session_cache shared:SSL:1m;
    keepalive_requests 1000000;
    location /rest/v1/ {
      proxy_pass http://postgrest/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  const child = new Deno.Command("nginx", {
    args: ["-c", confFile, "-p", dir],
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const url = `https://127.0.0.1:${port}`;
  const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(`${dir}/ca.pem`)] });
  try {
    for (let i = 0;; i++) {
      const up = await fetch(`${url}/rest/v1/`, { client }).then(async (r) => {
        await r.body?.cancel();
        return true;
      }, () => false);
      if (up) break;
      if (i > 200) throw new Error(`nginx did not serve on ${url} (see ${dir}/error.log)`);
      await new Promise((r) => setTimeout(r, 25));
    }
  } catch (err) {
    child.kill("SIGTERM");
    await child.status;
    throw err;
  } finally {
    client.close();
  }
  log(`TLS front (nginx) on ${url}`);
  return {
    url,
    caFile: `${dir}/ca.pem`,
    confFile,
    async stop() {
      try {
        child.kill("SIGQUIT"); // graceful: workers finish, then the master exits
      } catch { /* gone */ }
      await child.status;
    },
  };
}
