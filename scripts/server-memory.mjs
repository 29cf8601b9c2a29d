// How a server on PGlite starts so that its memory stays small (README, "PGlite's memory").
// glibc reads its malloc settings, and V8 sizes its young generation, only when a process starts,
// so both are given at the start: by the systemd unit (which repeats them), by `npm run dev` and
// the bench (which spawn the server), and by `npm start` and the `wa-inbox` command, which start
// themselves again with them when they are missing. With PostgreSQL (DATABASE_URL) the server
// holds no WebAssembly and stays far below 300 MB anyway, and the settings cost CPU (about a fifth
// more per callback in the bench: more frequent collections, more blocks mapped and unmapped), so
// they are left out.
import { spawn } from 'node:child_process';
import { once } from 'node:events';

/**
 * glibc's malloc: blocks from 32 KB up get a mapping of their own, unmapped when freed, and free
 * memory above 128 KB at the top of an arena goes back to the OS. V8's WebAssembly compilers
 * allocate and free about 100 MB while they compile PGlite's PostgreSQL (at start, then as hot
 * functions are optimised); by default glibc raised its mapping threshold after such frees, kept
 * that memory in its arenas, and never gave it back.
 */
export const MEMORY_ENV = { MALLOC_MMAP_THRESHOLD_: '32768', MALLOC_TRIM_THRESHOLD_: '131072' };

/**
 * V8's young generation at two 4 MB semi-spaces instead of two of 16 MB; the old generation may
 * grow 30% past what a full collection leaves, instead of doubling: under a campaign it filled
 * with garbage to twice its live size before a full collection came. One WebAssembly compilation
 * task at a time: PGlite's hot functions compiled in parallel set the server's peak while it
 * started (287 and 289 MB against 239 and 240 with one task, the bench's PGlite part; the
 * campaign's rate did not move beyond its noise).
 */
export const MEMORY_NODE_FLAGS = ['--max-semi-space-size=4', '--heap-growing-percent=30', '--wasm-num-compilation-tasks=1'];

export const hasMemorySettings = (env = process.env) => Object.entries(MEMORY_ENV).every(([name, value]) => env[name] === value);

/** The environment and node flags a server with `env` starts with: PGlite's only. */
export function memorySettingsFor(env) {
  return env.DATABASE_URL ? { env: {}, nodeFlags: [] } : { env: MEMORY_ENV, nodeFlags: MEMORY_NODE_FLAGS };
}

/**
 * Returns at once when this process already has the memory settings, runs on PostgreSQL
 * (DATABASE_URL, with .env already read), or is not on Linux (the malloc settings are glibc's). Otherwise runs this script again as a child with them, and ends as
 * the child ends: with its exit code, or by the signal that ended it. SIGTERM (systemd, docker,
 * kill) is passed on; a terminal's Ctrl-C already reaches the child, as it is in the same group.
 */
export async function restartWithMemorySettings() {
  const settings = memorySettingsFor(process.env);
  if (process.platform !== 'linux' || !settings.nodeFlags.length || hasMemorySettings()) return;
  const child = spawn(process.execPath, [...settings.nodeFlags, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit', env: { ...process.env, ...settings.env },
  });
  const ignore = () => {};
  const passOn = () => child.kill('SIGTERM');
  process.on('SIGINT', ignore);
  process.on('SIGTERM', passOn);
  const [code, signal] = await once(child, 'exit');
  process.off('SIGINT', ignore);
  process.off('SIGTERM', passOn);
  if (signal) process.kill(process.pid, signal);
  process.exit(code ?? 1);
}
