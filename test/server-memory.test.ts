// On PGlite, `npm start` runs the server in a process started with the memory settings of
// scripts/server-memory.mjs (glibc's malloc thresholds, V8's heap sizing), which glibc and V8
// read only when a process starts: start.mjs starts itself again with them, and that child is
// what serves, shuts down on SIGTERM and gives the exit code. On PostgreSQL, where they would only
// cost CPU, it serves in its own process. Figures in the README, "PGlite's memory".
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MEMORY_ENV, MEMORY_NODE_FLAGS } from '../scripts/server-memory.mjs';
import { startChildServer } from './support/child-server.ts';
import { databaseKinds, openTestDatabase } from './support/databases.ts';
import { freePort } from './support/inbox.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The environment and command line of a running process, from /proc. */
function processOf(pid: number) {
  const split = (file: string) => readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\0').filter(Boolean);
  return {
    env: Object.fromEntries(split('environ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
    argv: split('cmdline'),
  };
}

const serverEnv = (port: number, dataDir: string): Record<string, string> => ({
  PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, BASE_URL: `http://127.0.0.1:${port}`,
  ADMIN_PASSWORD: 'una-clave-larga', RECONCILE_INTERVAL: '0', LOG_LEVEL: 'info',
  // What no developer's .env in the checkout may change (dotenv never overrides a set variable).
  DATABASE_URL: '', REDIS_URL: '', TWILIO_ACCOUNT_SID: '', TWILIO_AUTH_TOKEN: '', TRUST_PROXY: '',
});

describe('the server process npm start runs', { skip: process.platform !== 'linux' && 'the malloc settings are glibc\'s (Linux)' }, () => {
  const temp = mkdtempSync(join(tmpdir(), 'wa-server-memory-'));
  after(() => rmSync(temp, { recursive: true, force: true }));

  test('has the memory settings, serves PGlite, and ends on SIGTERM with a clean exit', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const dataDir = join(temp, 'data');
    const env = serverEnv(port, dataDir);
    const start = await startChildServer(env, { command: [process.execPath, 'scripts/start.mjs'], cwd: ROOT });
    try {
      assert.equal(processOf(start.pid).env.MALLOC_MMAP_THRESHOLD_, undefined, 'started without them');
      const children = readFileSync(`/proc/${start.pid}/task/${start.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      assert.equal(children.length, 1, start.output());
      const server = processOf(children[0]!);
      for (const [name, value] of Object.entries(MEMORY_ENV)) assert.equal(server.env[name], value, name);
      assert.deepEqual(server.argv.slice(1, 1 + MEMORY_NODE_FLAGS.length), MEMORY_NODE_FLAGS);
      assert.ok(existsSync(join(dataDir, 'PG_VERSION')), 'PGlite opened in DATA_DIR');
    } finally {
      const exit = await start.stop(20_000);
      assert.deepEqual(exit, { code: 0, signal: null }, start.output());
    }
  });

  test('on PostgreSQL, is npm start\'s own process, without them', { skip: !databaseKinds().includes('postgres') && 'PostgreSQL not in WA_TEST_DATABASES', timeout: 120_000 }, async () => {
    const database = await openTestDatabase('postgres');
    try {
      const port = await freePort();
      const start = await startChildServer({ ...serverEnv(port, join(temp, 'unused')), DATABASE_URL: database.url! }, { command: [process.execPath, 'scripts/start.mjs'], cwd: ROOT });
      try {
        assert.equal(readFileSync(`/proc/${start.pid}/task/${start.pid}/children`, 'utf8').trim(), '', 'no child');
        const server = processOf(start.pid);
        assert.equal(server.env.MALLOC_MMAP_THRESHOLD_, undefined);
        assert.deepEqual(server.argv.slice(1), ['scripts/start.mjs']);
      } finally {
        assert.deepEqual(await start.stop(20_000), { code: 0, signal: null }, start.output());
      }
    } finally {
      await database.close();
    }
  });
});
