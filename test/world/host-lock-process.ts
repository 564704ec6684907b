// A real second process holding the host lock (test/world/host-lock-holder.ts), driven from a test:
// load it, let it go, read what it answered, let it release and exit.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const holderScript = path.join(repoRoot, "test/world/host-lock-holder.ts");

export interface Holder {
  child: ChildProcess;
  /** Resolves once the process is loaded and waits for go(). */
  ready: Promise<void>;
  go(): void;
  /** The first line it printed: "acquired <pid>" or "refused <code> <message>". */
  line: Promise<string>;
  /** Lets it release (if it holds the lock) and exit. */
  finish(): Promise<void>;
}

export function startHostLockHolder(stateDir: string, operation: string): Holder {
  const child = spawn(process.execPath, ["--import", "tsx", holderScript, stateDir, operation], {
    cwd: repoRoot,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const lineAt = (index: number): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const check = (): void => {
        const line = stdout.split("\n")[index];
        if (line !== undefined && stdout.split("\n").length > index + 1) resolve(line);
      };
      child.stdout?.on("data", check);
      check();
      void exited.then(() => reject(new Error(`the holder exited before line ${index}: ${stdout} ${stderr}`)));
    });
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  return {
    child,
    ready: lineAt(0).then(() => undefined),
    go: () => child.stdin?.write("go\n"),
    line: lineAt(1),
    async finish() {
      child.stdin?.end();
      await exited;
    },
  };
}
