import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, describe, test } from 'node:test';
import { acquireDataDirLock, DataDirLockedError, LOCK_FILE, lockHolder } from '../src/db/data-dir-lock.ts';
import { deadPid } from './support/pids.ts';


describe('PGlite data folder lock', () => {
  const dirs: string[] = [];
  const folder = () => {
    const d = mkdtempSync(`${tmpdir()}/wa-lock-`);
    dirs.push(d);
    return d;
  };
  const writeLock = (dir: string, holder: object) => writeFileSync(`${dir}/${LOCK_FILE}`, JSON.stringify({ startedAt: new Date().toISOString(), processStart: null, ...holder }));
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  test('one holder at a time, in this process too; released, the folder can be taken again', () => {
    const dir = folder();
    const release = acquireDataDirLock(dir);
    assert.equal(JSON.parse(readFileSync(`${dir}/${LOCK_FILE}`, 'utf8')).pid, process.pid);
    assert.equal(lockHolder(dir)?.pid, process.pid);
    assert.throws(() => acquireDataDirLock(dir), (err: unknown) => err instanceof DataDirLockedError && err.holder.pid === process.pid);
    release();
    assert.equal(existsSync(`${dir}/${LOCK_FILE}`), false);
    assert.equal(lockHolder(dir), null);
    acquireDataDirLock(dir)();
  });

  test('a live process holds it: another pid that runs (the parent) is refused', () => {
    const dir = folder();
    writeLock(dir, { pid: process.ppid });
    assert.throws(() => acquireDataDirLock(dir), (err: unknown) => err instanceof DataDirLockedError && err.holder.pid === process.ppid);
    assert.equal(lockHolder(dir)?.pid, process.ppid);
  });

  test('a stale lock is taken over: a dead pid, our own pid from an earlier run (a restarted container), a reused pid', () => {
    for (const holder of [{ pid: deadPid() }, { pid: process.pid }, ...(existsSync('/proc/self/stat') ? [{ pid: process.ppid, processStart: '1' }] : [])]) {
      const dir = folder();
      writeLock(dir, holder);
      assert.equal(lockHolder(dir), null, JSON.stringify(holder));
      const release = acquireDataDirLock(dir);
      assert.equal(JSON.parse(readFileSync(`${dir}/${LOCK_FILE}`, 'utf8')).pid, process.pid);
      release();
    }
  });
});
