// The agent in tests: a real `rewind agent run` process (spawnAgent) with its JSON log lines
// captured, a config writer, a probe for listening sockets, and a protocol peer (a small `ws`
// server speaking the control plane's frames with real signed tokens) for frames the real control
// plane would never send: forged, replayed, oversized, malformed.
import { type ChildProcess, spawn } from "node:child_process";
import { readdir, readFile, readlink, writeFile } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { WebSocket, WebSocketServer } from "ws";
import { SerialQueue } from "../../shared/serial-queue.ts";
import type { ReportClaims } from "../../shared/schemas/report.ts";
import { type PrivateJwk, type PublicJwk, verifyConnectToken, verifyReport } from "../../shared/signing.ts";

const repoRoot = path.resolve(import.meta.dirname, "../..");

export type LogEntry = Record<string, unknown>;

export interface AgentProcess {
  pid: number;
  process: ChildProcess;
  /** Every stdout/stderr line so far. */
  logs(): string[];
  /** The JSON log lines so far, parsed. */
  entries(): LogEntry[];
  waitForLog(predicate: (entry: LogEntry, line: string) => boolean, timeoutMs?: number): Promise<LogEntry>;
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then waits for exit; resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** Resolves with the exit code once the process ended. */
  exited: Promise<number | null>;
}

/** `opts.entry`: the file node runs, bin/rewind.js unless a test runs the bundle (dist/rewind.mjs). */
export function spawnAgent(configPath: string, opts: { pretty?: boolean; env?: NodeJS.ProcessEnv; entry?: string; cwd?: string } = {}): AgentProcess {
  const args = [opts.entry ?? path.join(repoRoot, "bin/rewind.js"), "agent", "run", "--config", configPath];
  if (opts.pretty === true) args.push("--pretty");
  const child = spawn(process.execPath, args, { cwd: opts.cwd ?? repoRoot, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
  if (child.pid === undefined) throw new Error("could not spawn the agent process");
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const collect = (stream: NodeJS.ReadableStream): void => {
    let buffer = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      buffer += chunk;
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        lines.push(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf("\n");
      }
      for (const wake of waiters) wake();
    });
  };
  if (child.stdout) collect(child.stdout);
  if (child.stderr) collect(child.stderr);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const parse = (line: string): LogEntry | undefined => {
    try {
      const value: unknown = JSON.parse(line);
      return typeof value === "object" && value !== null ? (value as LogEntry) : undefined;
    } catch {
      return undefined;
    }
  };
  const entries = (): LogEntry[] => lines.map(parse).filter((e): e is LogEntry => e !== undefined);
  let finished = false;
  void exited.then(() => {
    finished = true;
    for (const wake of waiters) wake();
  });

  return {
    pid: child.pid,
    process: child,
    logs: () => [...lines],
    entries,
    exited,
    waitForLog(predicate, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          for (const line of lines) {
            const entry = parse(line);
            if (entry !== undefined && predicate(entry, line)) {
              cleanup();
              resolve(entry);
              return true;
            }
          }
          if (finished) {
            cleanup();
            reject(new Error(`agent exited before the awaited log line; its output:\n${lines.join("\n")}`));
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching agent log line within ${timeoutMs} ms; its output:\n${lines.join("\n")}`));
        }, timeoutMs);
        const wake = (): void => {
          check();
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(wake);
        };
        waiters.add(wake);
        check();
      });
    },
    kill(signal = "SIGTERM") {
      child.kill(signal);
    },
    async stop(timeoutMs = 20_000) {
      if (finished) return child.exitCode;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Writes a minimal agent config (as enrollment would) for a host; returns its path. */
export async function writeAgentConfig(
  dir: string,
  options: { host: string; url: string; keys: PublicJwk[]; agentKey: PrivateJwk; projectName?: string; projectDir?: string },
): Promise<string> {
  const file = path.join(dir, "agent.json");
  const config = {
    host: options.host,
    controlPlane: { url: options.url, keys: options.keys },
    agentKey: options.agentKey,
    stateDir: path.join(dir, "state"),
    project: { name: options.projectName ?? `rewind-test-${options.host}`, dir: options.projectDir ?? dir },
  };
  await writeFile(file, JSON.stringify(config, null, 2), { mode: 0o600 });
  return file;
}

export interface ListeningSocket {
  protocol: "tcp" | "tcp6" | "udp" | "udp6" | "unix";
  local: string;
}

/**
 * Sockets the process listens on: its socket inodes (/proc/<pid>/fd) matched against the TCP
 * LISTEN / bound UDP entries of its network namespace and unix sockets in accepting state.
 */
export async function listeningSockets(pid: number): Promise<ListeningSocket[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match?.[1] !== undefined) inodes.add(match[1]);
  }
  const found: ListeningSocket[] = [];
  for (const protocol of ["tcp", "tcp6", "udp", "udp6"] as const) {
    const table = await readFile(`/proc/${pid}/net/${protocol}`, "utf8");
    for (const row of table.split("\n").slice(1)) {
      const cols = row.trim().split(/\s+/);
      const [local, state, inode] = [cols[1], cols[3], cols[9]];
      if (local === undefined || inode === undefined || !inodes.has(inode)) continue;
      // TCP 0A = LISTEN; a UDP socket with state 07 (unconnected) receives from anyone.
      if ((protocol.startsWith("tcp") && state === "0A") || (protocol.startsWith("udp") && state === "07")) {
        found.push({ protocol, local });
      }
    }
  }
  const unix = await readFile(`/proc/${pid}/net/unix`, "utf8");
  for (const row of unix.split("\n").slice(1)) {
    const cols = row.trim().split(/\s+/);
    const [flags, inode, name] = [cols[3], cols[6], cols[7]];
    // __SO_ACCEPTCON (0x10000): the socket accepts connections.
    if (flags !== undefined && inode !== undefined && inodes.has(inode) && (Number.parseInt(flags, 16) & 0x10000) !== 0) {
      found.push({ protocol: "unix", local: name ?? "(unnamed)" });
    }
  }
  return found;
}

// A protocol peer ------------------------------------------------------------------------------

export interface ProtocolPeer {
  /** Base URL to put in the agent config (http://127.0.0.1:<port>). */
  url: string;
  /** Verified reports, in arrival order. */
  reports: ReportClaims[];
  /** Connections accepted so far (a refused connect token does not count). */
  connections(): number;
  sendRaw(text: string): void;
  /** While false, new connections are closed right after the upgrade (the control plane is "down"). */
  setAccepting(accepting: boolean): void;
  /** While true, heartbeats and protocol pings go unanswered (a half-dead peer). */
  setSilent(silent: boolean): void;
  dropConnections(): void;
  waitFor<T>(probe: () => T | undefined, what: string, timeoutMs?: number): Promise<T>;
  waitForReport(predicate: (report: ReportClaims["report"]) => boolean, timeoutMs?: number): Promise<ReportClaims["report"]>;
  stop(): Promise<void>;
}

/** Speaks the control plane's side of the agent socket: welcome, heartbeat answers, report-acks. */
export async function startProtocolPeer(options: { host: string; agentKey: PublicJwk }): Promise<ProtocolPeer> {
  const server = new WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    path: "/v1/agents/connect",
    maxPayload: 4 * 1024 * 1024,
    autoPong: false,
  });
  let accepting = true;
  let silent = false;
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const reports: ReportClaims[] = [];
  let accepted = 0;
  let current: WebSocket | undefined;
  const authorized = async (request: IncomingMessage): Promise<boolean> => {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
    if (token === undefined) return false;
    try {
      await verifyConnectToken(token, { key: options.agentKey, host: options.host });
      return true;
    } catch {
      return false;
    }
  };
  server.on("connection", (socket, request) => {
    void authorized(request).then((ok) => {
      if (!ok) {
        socket.close(4401, "connect token refused");
        return;
      }
      if (!accepting) {
        socket.close(1013, "try again later");
        return;
      }
      accepted += 1;
      current = socket;
      socket.send(JSON.stringify({ t: "welcome", host: options.host, serverTime: Date.now() }));
      socket.on("ping", (data) => {
        if (!silent) socket.pong(data);
      });
      // Frames are handled in arrival order: verifying is asynchronous, and two reports verified side by
      // side could otherwise be recorded in either order (a result before the progress sent ahead of it).
      const frames = new SerialQueue();
      socket.on("message", (data) => {
        void frames.run(async () => {
          const frame = JSON.parse(data.toString()) as { t: string; jws?: string };
          if (frame.t === "heartbeat" && !silent) socket.send(JSON.stringify({ t: "heartbeat", ts: Date.now() }));
          if (frame.t === "report" && frame.jws !== undefined) {
            const claims = await verifyReport(frame.jws, { key: options.agentKey, host: options.host });
            reports.push(claims);
            socket.send(JSON.stringify({ t: "report-ack", reportId: claims.jti }));
          }
        });
      });
    });
  });
  const port = (server.address() as AddressInfo).port;

  const waitFor = <T>(probe: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> =>
    new Promise((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const poll = (): void => {
        const value = probe();
        if (value !== undefined) resolve(value);
        else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
        else setTimeout(poll, 25);
      };
      poll();
    });

  return {
    url: `http://127.0.0.1:${port}`,
    reports,
    connections: () => accepted,
    sendRaw(text) {
      if (current?.readyState !== WebSocket.OPEN) throw new Error("no agent connected to the protocol peer");
      current.send(text);
    },
    setAccepting(value) {
      accepting = value;
    },
    setSilent(value) {
      silent = value;
    },
    dropConnections() {
      for (const client of server.clients) client.terminate();
    },
    waitFor,
    waitForReport: (predicate, timeoutMs) => waitFor(() => reports.find((r) => predicate(r.report))?.report, "a matching agent report", timeoutMs),
    async stop() {
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
