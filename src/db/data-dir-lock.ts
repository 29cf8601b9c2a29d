import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

// PGlite is PostgreSQL inside one process: a second process opening the same data folder works
// on a copy of its own, and whatever it writes is lost (or corrupts the folder). So the process
// that opens a folder holds this lock file in it until it closes the database or exits.

export const LOCK_FILE = 'wa-inbox.lock';

export interface LockHolder {
  pid: number;
  /** When the holder took the lock (ISO), for people reading the file. */
  startedAt: string;
  /** The holder's start time as the kernel counts it (Linux), so a reused pid is not taken for it. */
  processStart: string | null;
}

/** The data folder is open in another process (or elsewhere in this one). */
export class DataDirLockedError extends Error {
  constructor(readonly dataDir: string, readonly holder: LockHolder) {
    super(`The data folder ${dataDir} is in use by another process (pid ${holder.pid}, since ${holder.startedAt}): only one process may open a PGlite folder`);
    this.name = 'DataDirLockedError';
  }
}

/** Lock files this process holds, by path, with the exact text written, to release only our own. */
const held = new Map<string, string>();
process.on('exit', () => {
  for (const path of [...held.keys()]) release(path);
});

/** Field 22 of /proc/<pid>/stat (the process's start in clock ticks since boot); null off Linux. */
function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(holder: LockHolder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // Same pid, another process (the pid was reused after the holder died).
  if (holder.processStart !== null) {
    const now = processStart(holder.pid);
    if (now !== null && now !== holder.processStart) return false;
  }
  return true;
}

function parse(text: string): LockHolder | null {
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    return Number.isInteger(h.pid) && h.pid! > 0 ? { pid: h.pid!, startedAt: String(h.startedAt ?? '?'), processStart: h.processStart ?? null } : null;
  } catch {
    return null;
  }
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Who holds the folder's lock, when a live process does. Our own pid counts as live only while
 * this process holds the lock: a container restarted after a crash often gets the pid its
 * previous run had.
 */
export function lockHolder(dataDir: string): LockHolder | null {
  const path = join(resolve(dataDir), LOCK_FILE);
  const text = read(path);
  const holder = text === null ? null : parse(text);
  return holder && holds(path, holder) ? holder : null;
}

function holds(path: string, holder: LockHolder): boolean {
  return holder.pid === process.pid ? held.has(path) : isAlive(holder);
}

/**
 * Takes the folder's lock or throws DataDirLockedError. A lock whose holder is dead is taken over.
 * Returns the release function.
 */
export function acquireDataDirLock(dataDir: string): () => void {
  const path = join(resolve(dataDir), LOCK_FILE);
  for (let attempt = 0; attempt < 5; attempt++) {
    const text = JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString(), processStart: processStart(process.pid) } satisfies LockHolder);
    try {
      // O_EXCL: exactly one process creates the file.
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
      held.set(path, text);
      return () => release(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const found = read(path);
    if (found === null) continue; // released meanwhile
    const holder = parse(found);
    // Unreadable: its writer may be between creating and writing it; look again shortly.
    if (!holder && attempt < 4) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      continue;
    }
    if (holder && holds(path, holder)) throw new DataDirLockedError(dataDir, holder);
    takeOver(path, found);
  }
  throw new Error(`Could not take the lock ${path}`);
}

/**
 * Removes a stale lock, unless another process replaced it meanwhile: it is moved aside first and
 * checked, so two processes taking over the same stale lock never remove each other's new one.
 */
function takeOver(path: string, stale: string) {
  const aside = `${path}.${process.pid}.stale`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (read(aside) !== stale) {
    // Someone else's fresh lock: put it back (link fails if yet another one took the place).
    try {
      linkSync(aside, path);
    } catch { /* the place is taken again: that holder wins */ }
  }
  unlinkSync(aside);
}

function release(path: string) {
  const mine = held.get(path);
  if (mine === undefined) return;
  held.delete(path);
  try {
    if (read(path) === mine) unlinkSync(path);
  } catch { /* already gone */ }
}
