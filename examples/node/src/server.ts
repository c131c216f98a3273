// The lab's HTTP contract (docs/contract.md) in TypeScript, on Node's own
// http module: no runtime dependency at all. The build stage compiles it
// to dist/server.js; only that file runs.
import * as http from "node:http";
import * as os from "node:os";
import * as net from "node:net";
import * as dns from "node:dns";

const LEVELS = ["trace", "debug", "info", "notice", "warning", "error", "critical"];
const TEXT = "text/plain; charset=utf-8";
const ARCH: Record<string, string> = { x64: "x86_64", arm64: "aarch64" };
const arch = ARCH[process.arch] ?? process.arch;
const version = process.version.replace(/^v/, "");

function fail(status: number, message: string): never {
  process.stderr.write(`server: ${message}\n`);
  process.exit(status);
}

function log(level: string, message: string): void {
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, "+0000");
  process.stdout.write(`${stamp} ${level} ${message}\n`);
}

interface Config {
  host: string;
  port: number;
  logRequests: boolean;
}

// HOST, PORT and LOG_LEVEL; an invalid value exits 64.
function configure(): Config {
  const host = process.env.HOST || "0.0.0.0";
  if (/\s/.test(host)) fail(64, `invalid HOST "${host}": expected an IP address or host name without spaces`);
  const text = process.env.PORT || "8080";
  const port = Number(text);
  if (!/^[0-9]{1,5}$/.test(text) || port < 1 || port > 65535) {
    fail(64, `invalid PORT "${text}": expected an integer from 1 to 65535`);
  }
  const level = (process.env.LOG_LEVEL || "info").toLowerCase();
  if (!LEVELS.includes(level)) {
    fail(64, `invalid LOG_LEVEL "${process.env.LOG_LEVEL}": expected one of ${LEVELS.join(", ")}`);
  }
  return { host: host.replace(/^\[(.*)\]$/, "$1"), port, logRequests: LEVELS.indexOf(level) <= LEVELS.indexOf("info") };
}

// application/json has a higher quality than text/plain (or text/*), or the same and comes first.
export function prefersJSON(accept: string | undefined): boolean {
  const found: Record<string, [number, number]> = {};
  (accept ?? "").split(",").forEach((item, position) => {
    const [kind, ...params] = item.split(";").map((part) => part.trim().toLowerCase());
    let q = 1;
    for (const param of params) if (param.startsWith("q=")) q = Number(param.slice(2)) || 0;
    const key = kind === "application/json" ? "json" : kind === "text/plain" || kind === "text/*" ? "text" : "";
    if (key && !(key in found)) found[key] = [q, position];
  });
  const json = found.json;
  const text = found.text;
  if (!json || json[0] <= 0) return false;
  if (!text) return true;
  return json[0] > text[0] || (json[0] === text[0] && json[1] < text[1]);
}

function handle(request: http.IncomingMessage, response: http.ServerResponse): void {
  const send = (status: number, type: string, cache: string, body: string): void => {
    response.statusCode = status;
    response.setHeader("Content-Type", type);
    response.setHeader("Cache-Control", cache);
    response.setHeader("Content-Length", Buffer.byteLength(body));
    response.end(request.method === "HEAD" ? undefined : body);
  };
  const path = (request.url ?? "/").split("?")[0];
  if (!["/", "/info", "/healthz"].includes(path)) return send(404, TEXT, "no-store", "not found\n");
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.setHeader("Allow", "GET, HEAD");
    return send(405, TEXT, "no-store", "method not allowed\n");
  }
  if (path === "/") return send(200, TEXT, "public, max-age=60", "Hello from Node in Docker! Try /info for more details.\n");
  if (path === "/healthz") return send(200, TEXT, "no-store", "ok\n");
  const hostname = os.hostname();
  response.setHeader("Vary", "Accept");
  const accept = request.headers.accept;
  if (prefersJSON(Array.isArray(accept) ? accept.join(",") : accept)) {
    const facts = { arch, hostname, language: "Node", os: "linux", version };
    return send(200, "application/json; charset=utf-8", "no-store", JSON.stringify(facts) + "\n");
  }
  send(200, TEXT, "no-store",
    `Server Information:\n-------------------\nNode Version: ${version}\nOS/Arch: linux/${arch}\nHostname: ${hostname}\n`);
}

function serve(config: Config): void {
  const server = http.createServer((request, response) => {
    const start = process.hrtime.bigint();
    if (config.logRequests) {
      response.on("finish", () => {
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        log("info", `access: ${request.method} ${(request.url ?? "/").split("?")[0]} ${response.statusCode} ${ms.toFixed(3)}ms`);
      });
    }
    handle(request, response);
  });
  server.on("error", (error) => {
    const reason = error.code === "EADDRINUSE"
      ? `address already in use (is another server running on port ${config.port}?)`
      : error.message;
    fail(1, `cannot listen on ${config.host}:${config.port}: ${reason}`);
  });
  // docker stop: finish requests in flight, close idle connections, exit 0 within a second.
  const stop = (): void => {
    log("notice", "server: stopping");
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  server.listen({ host: config.host, port: config.port, ipv6Only: false }, () => {
    log("notice", `server: listening on ${config.host}:${config.port}`);
  });
}

// Where the self-probe asks, for a server listening on host.
function probeHosts(host: string, callback: (hosts: string[]) => void): void {
  if (host === "0.0.0.0") return callback(["127.0.0.1"]);
  if (host === "::") return callback(["::1", "127.0.0.1"]);
  if (net.isIP(host)) return callback([host]);
  dns.lookup(host, { all: true }, (error, addresses) => {
    if (error) fail(1, `healthcheck: cannot resolve HOST "${host}": ${error.message}`);
    callback(addresses.map((a) => a.address));
  });
}

// GET /healthz where the server listens: exit 0 on 200, else 1 and one line.
function healthcheck(config: Config): void {
  const deadline = Date.now() + 2000;
  probeHosts(config.host, (hosts) => {
    let last = "no address to ask";
    const next = (index: number): void => {
      const remaining = deadline - Date.now();
      if (index >= hosts.length || remaining <= 0) fail(1, `healthcheck: unhealthy: ${last}`);
      const host = hosts[index];
      const request = http.get({ host, port: config.port, path: "/healthz", timeout: remaining }, (response) => {
        response.resume();
        if (response.statusCode === 200) process.exit(0);
        last = `${host}:${config.port} answered ${response.statusCode}`;
        next(index + 1);
      });
      request.on("timeout", () => request.destroy(new Error("timed out")));
      request.on("error", (error) => {
        last = `${host}:${config.port}: ${error.message}`;
        next(index + 1);
      });
    };
    next(0);
  });
}

const config = configure();
const command = process.argv[2];
if (command === "healthcheck" || command === "--healthcheck") healthcheck(config);
else if (command === "--version") process.stdout.write(`server (Node ${version})\n`);
else if (command === undefined) serve(config);
else fail(64, `unknown argument "${command}" (expected: healthcheck, --healthcheck or --version)`);
