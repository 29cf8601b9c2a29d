// deploy/wa-inbox.service, as far as a machine without systemd as PID 1 can check it: systemd's
// own verifier and security report accept it, and its ExecStart, run from its WorkingDirectory
// (the checkout stands for /opt/wa-inbox) with its Environment and an env file's settings, starts
// the server without rebuilding the panel and shuts down on SIGTERM well within TimeoutStopSec.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MEMORY_ENV, MEMORY_NODE_FLAGS } from '../scripts/server-memory.mjs';
import { startChildServer } from './support/child-server.ts';
import { freePort } from './support/inbox.ts';

const UNIT = fileURLToPath(new URL('../deploy/wa-inbox.service', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
// src/server.ts cuts a graceful shutdown off after this long (process.exit(1)).
const SERVER_SHUTDOWN_LIMIT_S = 10;
const noAnalyze = process.env.WA_SKIP_SYSTEMD_ANALYZE ? 'no systemd-analyze here (apt-get install systemd)' : false;

/** The [Service] section's settings, each key's values in order (systemd allows repeats). */
function serviceSettings(text: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) { section = header[1]!; continue; }
    if (section !== 'Service') continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    settings.set(key, [...(settings.get(key) ?? []), line.slice(eq + 1)]);
  }
  return settings;
}

const unitText = readFileSync(UNIT, 'utf8');
const service = serviceSettings(unitText);
/** Environment='s variables, from all its lines. */
const environment: Record<string, string> = Object.fromEntries(
  (service.get('Environment') ?? []).flatMap((v) => v.split(' ')).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const one = (key: string) => {
  const values = service.get(key);
  assert.equal(values?.length, 1, `${key}= once in the unit`);
  return values[0]!;
};

describe('deploy/wa-inbox.service', () => {
  const temp = mkdtempSync(join(tmpdir(), 'wa-unit-'));
  after(() => rmSync(temp, { recursive: true, force: true }));

  /** The unit as shipped, or with ExecStart's node swapped for this one where /usr/bin/node is missing. */
  function unitFile(): string {
    const node = one('ExecStart').split(' ')[0]!;
    if (existsSync(node)) return UNIT;
    const copy = join(temp, 'wa-inbox.service');
    writeFileSync(copy, unitText.replace(`ExecStart=${node} `, `ExecStart=${process.execPath} `));
    return copy;
  }

  test('systemd-analyze verify accepts it without a warning', { skip: noAnalyze }, () => {
    const run = spawnSync('systemd-analyze', ['verify', unitFile()], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    // Unknown keys and bad values are only warnings (exit 0): none may be printed.
    assert.equal((run.stdout + run.stderr).trim(), '');
  });

  test('systemd-analyze security rates its exposure low', { skip: noAnalyze }, () => {
    const run = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', unitFile()], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const level = /Overall exposure level for .*?: ([\d.]+)/.exec(run.stdout);
    assert.ok(level, run.stdout);
    // 0 is a fully locked-down service, 10 an unprotected one; 1.7 as shipped.
    assert.ok(Number(level[1]) <= 2.5, `exposure ${level[1]}`);
  });

  test('it stops later than the server cuts its own shutdown off, and may write PGlite\'s folder', () => {
    assert.ok(Number(one('TimeoutStopSec')) > SERVER_SHUTDOWN_LIMIT_S, 'systemd must not SIGKILL a shutdown still within its 10 s');
    assert.equal(one('Restart'), 'on-failure');
    assert.equal(one('ProtectSystem'), 'strict');
    assert.equal(one('NoNewPrivileges'), 'yes');
    assert.equal(one('PrivateTmp'), 'yes');
    assert.equal(one('EnvironmentFile'), '/etc/wa-inbox/env');
    const dataDir = environment.DATA_DIR;
    assert.ok(dataDir, 'the unit names a DATA_DIR');
    assert.ok(one('ReadWritePaths').split(/\s+/).includes(dataDir), `${dataDir} is writable under ProtectSystem=strict`);
    assert.equal(`/var/lib/${one('StateDirectory')}`, dataDir, 'StateDirectory creates it, owned by the service user');
    assert.ok(!service.has('MemoryDenyWriteExecute'), "V8's JIT needs writable executable memory");
  });

  test('it starts the server with the memory settings npm start gives it', () => {
    for (const [name, value] of Object.entries(MEMORY_ENV)) assert.equal(environment[name], value, name);
    const [, ...args] = one('ExecStart').split(' ');
    assert.deepEqual(args.slice(0, MEMORY_NODE_FLAGS.length), MEMORY_NODE_FLAGS);
  });

  test('its ExecStart, from its WorkingDirectory, starts the server without building the panel and ends on SIGTERM in time', async () => {
    const [node, ...args] = one('ExecStart').split(' ');
    const port = await freePort();
    const dataDir = join(temp, 'data');
    // Environment=, then the env file over it (as systemd reads them), then what no developer's
    // .env in the checkout may change (dotenv never overrides a variable that is set, even empty).
    const env: Record<string, string> = {
      ...environment,
      PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, BASE_URL: `http://127.0.0.1:${port}`,
      ADMIN_PASSWORD: 'una-clave-larga', RECONCILE_INTERVAL: '0', LOG_LEVEL: 'info',
      DATABASE_URL: '', REDIS_URL: '', TWILIO_ACCOUNT_SID: '', TWILIO_AUTH_TOKEN: '', TRUST_PROXY: '',
    };
    const server = await startChildServer(env, { command: [existsSync(node!) ? node! : process.execPath, ...args], cwd: ROOT });
    const started = Date.now();
    const exit = await server.stop(Number(one('TimeoutStopSec')) * 1000);
    assert.deepEqual(exit, { code: 0, signal: null }, server.output());
    assert.ok(Date.now() - started < SERVER_SHUTDOWN_LIMIT_S * 1000);
    assert.doesNotMatch(server.output(), /Building the panel/);
    assert.ok(existsSync(join(dataDir, 'PG_VERSION')), `PGlite's database is in DATA_DIR: ${dataDir}`);
  });
});
