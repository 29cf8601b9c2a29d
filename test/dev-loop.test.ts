import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from './support/inbox.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// `npm run dev` on a fresh clone served no panel (GET / was 404, nothing logged).
describe('npm run dev: the panel with hot reload and the server in one command', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wa-dev-'));
  let child: ReturnType<typeof spawn> | null = null;
  let out = '';
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('on any PORT: / is the panel from Vite (hot reload), /api reaches the server, and demo callbacks come back through the proxy', async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir, ADMIN_PASSWORD: 'una-clave-larga', LOG_LEVEL: 'warn' };
    for (const k of ['DATABASE_URL', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'BASE_URL', 'REDIS_URL', 'HOST']) delete env[k];
    child = spawn(process.execPath, ['scripts/dev.mjs'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const base = `http://localhost:${port}`;
    await waitFor(async () => (await fetch(`${base}/api/health`).catch(() => null))?.status === 200, `the server behind Vite:\n${out}`, 120_000);
    const page = await (await fetch(`${base}/`)).text();
    assert.match(page, /<div id="root">/);
    assert.match(page, /\/@vite\/client/, 'served by Vite, with its hot-reload client');
    assert.match(out, new RegExp(`Panel with hot reload: http://localhost:${port}`));

    // A customer writes through the demo's local Twilio: its signed webhook goes to BASE_URL (Vite) and is proxied on.
    const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@localhost', password: 'una-clave-larga' }) });
    assert.equal(login.status, 200);
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const wrote = await fetch(`${base}/api/demo/inbound`, {
      method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' }, body: JSON.stringify({ from: '+573153369631', body: 'Hola desde el modo de desarrollo' }),
    });
    assert.deepEqual({ status: wrote.status, webhook: ((await wrote.json()) as { status: number }).status }, { status: 200, webhook: 200 });
  });
});
