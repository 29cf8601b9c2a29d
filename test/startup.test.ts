import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startChildServer } from './support/child-server.ts';
import { databaseKinds, POSTGRES_ADMIN_URL } from './support/databases.ts';
import { freePort } from './support/inbox.ts';

const SERVER = fileURLToPath(new URL('../src/server.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

/** Runs the real server until it exits (it is expected to fail at start); its output and exit code. */
function startExpectingFailure(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const cwd = mkdtempSync(join(tmpdir(), 'wa-start-'));
  const child = spawn(process.execPath, ['--import', TSX, SERVER], { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((resolve) => child.once('exit', (code) => {
    clearTimeout(killer);
    rmSync(cwd, { recursive: true, force: true });
    resolve({ code, out });
  }));
}

const NO_STACK = /^\s+at /m;

describe('start-up failures say what failed, why and what to do, in one line', () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'wa-data-'));
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  test('a port already in use: refused before the database is opened or an admin created (no password printed into a dead run)', async () => {
    const port = await freePort();
    const taken = createServer().listen(port, '127.0.0.1');
    await new Promise((r) => taken.once('listening', r));
    try {
      const dir = dataDir();
      const { code, out } = await startExpectingFailure({ PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dir });
      assert.equal(code, 1);
      assert.match(out, new RegExp(`wa-inbox could not start: port ${port} on 127.0.0.1 is already in use \\(EADDRINUSE\\).*Fix: stop that program, or set PORT to a free port`));
      assert.doesNotMatch(out, /admin password/, 'no one-time password printed');
      assert.doesNotMatch(out, NO_STACK);
      assert.equal(out.trim().split('\n').length, 1, `one line:\n${out}`);
    } finally {
      taken.close();
    }
  });

  test('PostgreSQL not running at DATABASE_URL, in Spanish with WA_LANG=es', async () => {
    const closed = await freePort();
    const { code, out } = await startExpectingFailure({ PORT: String(await freePort()), DATABASE_URL: `postgres://postgres:secreto@127.0.0.1:${closed}/clinica`, WA_LANG: 'es' });
    assert.equal(code, 1);
    assert.match(out, new RegExp(`wa-inbox no pudo arrancar: base de datos: PostgreSQL rechaza conexiones en 127.0.0.1:${closed} \\(ECONNREFUSED\\).*Solución: `));
    assert.doesNotMatch(out, /secreto/, 'the password in DATABASE_URL is never printed');
    assert.doesNotMatch(out, NO_STACK);
    assert.equal(out.trim().split('\n').length, 1, `one line:\n${out}`);
  });

  test('a database that does not exist on a running PostgreSQL', { skip: databaseKinds().includes('postgres') ? false : 'PostgreSQL not in this run' }, async () => {
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = '/wa_no_such_database';
    const { code, out } = await startExpectingFailure({ PORT: String(await freePort()), DATABASE_URL: url.toString() });
    assert.equal(code, 1);
    assert.match(out, /wa-inbox could not start: database: .*wa_no_such_database.*Fix: /);
    assert.doesNotMatch(out, NO_STACK);
  });

  test('with real Twilio credentials, an http BASE_URL outside localhost is warned about at start', async () => {
    const port = await freePort();
    const server = await startChildServer({
      PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir(), BASE_URL: 'http://clinica.example', RECONCILE_INTERVAL: '0',
      TWILIO_ACCOUNT_SID: 'AC' + '1'.repeat(32), TWILIO_AUTH_TOKEN: '2'.repeat(32), TWILIO_WHATSAPP_FROM: 'whatsapp:+14155238886',
      TWILIO_API_URL: `http://127.0.0.1:${await freePort()}`, ADMIN_PASSWORD: 'una-clave-larga',
    });
    try {
      assert.match(server.output(), /BASE_URL is http:\/\/clinica\.example: Twilio calls webhooks only over https outside localhost/);
    } finally {
      await server.stop();
    }
  });
});
