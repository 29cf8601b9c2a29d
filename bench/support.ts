import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { memorySettingsFor } from '../scripts/server-memory.mjs';
import { connectPostgres, type Queryable } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The PostgreSQL server the benches make their databases on. */
export const BENCH_POSTGRES = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A new, migrated database `name`_<this process's id> on BENCH_POSTGRES: two benches running at
 * once on one server (other work on the machine) must not drop each other's database, nor count
 * each other's backends. Those a finished bench left are dropped first.
 */
export async function freshDatabase(name: string) {
  const admin = connectPostgres(BENCH_POSTGRES, { max: 1 });
  const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname ~ $1`, [`^${name}_\\d+$`]);
  for (const { datname } of rows) {
    const pid = Number(/_(\d+)$/.exec(datname)?.[1]);
    if (!pid || !processAlive(pid)) await admin.exec(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
  }
  const own = `${name}_${process.pid}`;
  await admin.exec(`DROP DATABASE IF EXISTS ${own} WITH (FORCE)`);
  await admin.exec(`CREATE DATABASE ${own}`);
  await admin.close();
  const url = new URL(BENCH_POSTGRES);
  url.pathname = `/${own}`;
  const db = connectPostgres(url.toString(), { max: 2 });
  await migrate(db);
  return { db, url: url.toString() };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Runs the real server entry point (src/server.ts) as its own process, so its memory is its own. */
export interface ServerProcess {
  child: ChildProcess;
  peakRssMb(): number;
  /** Resident set size now. */
  rssMb(): number;
  /** Starts peakRssMb() over from the current size, so a peak belongs to what runs after. */
  resetPeakRss(): void;
  /** CPU time (user + system) the process has used so far. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** `startMs`: how long it may take to answer its health check (a first start on PGlite creates its database). */
export async function startServerProcess(env: Record<string, string>, port: number, startMs = 30_000): Promise<ServerProcess> {
  // BENCH_PROFILE=1 writes a V8 CPU profile of the server into ./tmp when it exits.
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', `${ROOT}tmp`] : [];
  // The server's log (warnings and up) goes to tmp/bench-server-<port>.log.
  mkdirSync(`${ROOT}tmp`, { recursive: true });
  const log = openSync(`${ROOT}tmp/bench-server-${port}.log`, 'w');
  // Started as `npm start` starts it: on PGlite with the memory settings (scripts/server-memory.mjs).
  const memory = memorySettingsFor({ ...process.env, ...env });
  const child = spawn(process.execPath, [...memory.nodeFlags, ...profile, '--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT, env: { ...process.env, ...memory.env, ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', log, 'inherit'],
  });
  const deadline = Date.now() + startMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      http.get(`http://127.0.0.1:${port}/api/health`, (res) => { res.resume(); resolve(res.statusCode === 200); }).on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    child,
    peakRssMb: () => statusMb(child.pid!, 'VmHWM'),
    rssMb: () => statusMb(child.pid!, 'VmRSS'),
    // Linux: writing 5 to clear_refs resets VmHWM to the current resident size.
    resetPeakRss: () => writeFileSync(`/proc/${child.pid!}/clear_refs`, '5'),
    cpuSeconds: () => processCpuSeconds(child.pid!),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** A size field of /proc/<pid>/status (VmHWM: peak resident set, VmRSS: now) in MB. */
function statusMb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
function processCpuSeconds(pid: number): number {
  return cpuSecondsOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** The CPU seconds (user + system) in the text of a /proc/<pid>/stat already read. */
function cpuSecondsOfStat(stat: string): number {
  // Fields after the command name (which may hold spaces) closed by ')': utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * CPU seconds used so far by this database's PostgreSQL backends (on this machine) and, apart, by
 * PostgreSQL's shared processes (WAL writer, checkpointer, background writer: they work for every
 * database on the server, so other work on it shows there too). Per process id, so a later reading
 * subtracts an earlier one process by process (`cpuSince`).
 */
export async function postgresCpu(db: Queryable): Promise<{ ours: Map<number, number>; shared: Map<number, number> }> {
  const { rows } = await db.query<{ pid: number; ours: boolean }>(
    `SELECT pid, datname IS NOT NULL AS ours FROM pg_stat_activity WHERE datname = current_database() OR datname IS NULL`,
  );
  const ours = new Map<number, number>();
  const shared = new Map<number, number>();
  for (const r of rows) {
    try {
      (r.ours ? ours : shared).set(r.pid, processCpuSeconds(r.pid));
    } catch {
      // gone meanwhile
    }
  }
  return { ours, shared };
}

/** CPU seconds between two readings of postgresCpu's maps: processes new since `before` count whole. */
export function cpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, cpu] of after) sum += cpu - (before.get(pid) ?? 0);
  return sum;
}

/** CPU seconds used so far by the processes named `command` (the bench's local Redis). */
export function commandCpuSeconds(command: string): number {
  let sum = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === command) sum += processCpuSeconds(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return sum;
}

/** What a process used while a CPU sampler ran: its command name, command line, and CPU seconds. */
export interface SampledProcess {
  command: string;
  /** Its command line; PostgreSQL's backends show their database there. */
  args: string;
  cpu: number;
}

/**
 * Samples every process on the machine (kernel threads too) each second while a campaign plays:
 * processes that end meanwhile (a pool's connections closed when idle, so their backends exit)
 * still count up to their last sample, and other work on a shared machine is named rather than
 * left as "the rest". `stop()` returns the CPU each used since the sampler started (a process
 * started meanwhile counts whole).
 */
export function startCpuSampler(everyMs = 1_000): { stop(): Map<number, SampledProcess> } {
  const first = new Map<number, number>();
  const last = new Map<number, SampledProcess>();
  const sample = (initial: boolean) => {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const cpu = cpuSecondsOfStat(stat);
        if (initial) first.set(pid, cpu);
        const known = last.get(pid);
        const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const args = known?.args ?? readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
        last.set(pid, { command, args, cpu });
      } catch {
        // gone meanwhile
      }
    }
  };
  sample(true);
  const timer = setInterval(() => sample(false), everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample(false);
      const used = new Map<number, SampledProcess>();
      for (const [pid, p] of last) used.set(pid, { ...p, cpu: p.cpu - (first.get(pid) ?? 0) });
      return used;
    },
  };
}

/** The whole machine's busy and total CPU seconds so far (all cores), from /proc/stat. */
export function machineCpuSeconds(): { busy: number; total: number } {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const n = values.map(Number);
  const idle = n[3]! + n[4]!; // idle + iowait
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
}

/** BENCH_PROFILE=1: the load generator's own CPU profile while it plays, into ./tmp (the servers write theirs at exit). */
export async function startGeneratorProfile(): Promise<{ stop(): Promise<void> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(`${ROOT}tmp`, { recursive: true });
      writeFileSync(`${ROOT}tmp/generator-${Date.now()}.cpuprofile`, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/**
 * A worker thread running a TypeScript file: its entry is loaded before `--import tsx` could apply
 * in the new thread, so it registers tsx first, then loads the file.
 */
export function startTsWorker(entry: URL, workerData: unknown): Worker {
  return new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); });`, { eval: true, workerData });
}

/** The first message of `kind` a worker posts; its error rejects. */
export function workerReport<R extends { kind: string }, K extends R['kind']>(worker: Worker, kind: K): Promise<Extract<R, { kind: K }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (r: R) => {
      if (r.kind !== kind) return;
      worker.off('message', onMessage).off('error', reject);
      resolve(r as Extract<R, { kind: K }>);
    };
    worker.on('message', onMessage).once('error', reject);
  });
}
