import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('../../src/server.ts', import.meta.url));
// The same module `node --import tsx` loads, named by path: the child runs in a folder of its own,
// so a developer's .env in the checkout (read by dotenv at start) cannot change what is tested.
const TSX = import.meta.resolve('tsx');
const OUTPUT_LIMIT = 256 * 1024;

export interface ChildServer {
  readonly pid: number;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** The child's stdout and stderr, interleaved, its newest OUTPUT_LIMIT characters. */
  output(): string;
  /** Whether the process is still running. */
  running(): boolean;
  /** Sends `signal` and waits for the process to end. */
  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (a graceful shutdown), then SIGKILL if it has not ended after `graceMs`. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * The real server (src/server.ts) as a child process with exactly `env` (plus PATH), ready once
 * GET /api/health answers 200. Fails, with the child's output, if it exits or is not ready in time.
 * `command` and `cwd` run it another way (as the systemd unit does); by default node loads
 * src/server.ts through tsx in a temp folder of its own.
 */
export async function startChildServer(env: Record<string, string>, o: { readyTimeoutMs?: number; command?: string[]; cwd?: string } = {}): Promise<ChildServer> {
  const port = env.PORT;
  if (!port) throw new Error('startChildServer needs PORT in env');
  const cwd = o.cwd ?? mkdtempSync(join(tmpdir(), 'wa-child-'));
  const [file, ...args] = o.command ?? [process.execPath, '--import', TSX, SERVER];
  const child: ChildProcess = spawn(file!, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const collect = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (out.length > OUTPUT_LIMIT) out = out.slice(-OUTPUT_LIMIT);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      if (!o.cwd) rmSync(cwd, { recursive: true, force: true });
      resolve(exit);
    });
  });

  const url = `http://127.0.0.1:${port}`;
  const server: ChildServer = {
    pid: child.pid!,
    url,
    output: () => out,
    running: () => exit === null,
    async kill(signal) {
      if (exit) return exit;
      child.kill(signal);
      return exited;
    },
    async stop(graceMs = 15_000) {
      if (exit) return exit;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };

  const deadline = Date.now() + (o.readyTimeoutMs ?? 120_000);
  for (;;) {
    if (exit) throw new Error(`the server exited before it was ready (${JSON.stringify(exit)}):\n${out}`);
    const ok = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.status === 200, () => false);
    if (ok) return server;
    if (Date.now() > deadline) {
      await server.kill('SIGKILL');
      throw new Error(`the server was not ready in time:\n${out}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
