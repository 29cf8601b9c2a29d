import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, before, describe, test } from 'node:test';
import type { ConversationDto, MessageDto } from '../src/contract/api.ts';
import { freePort, waitFor } from './support/inbox.ts';

// The real entry point with no configuration at all, as `npm start` runs it on a fresh machine:
// PGlite in a data folder, the local Twilio in-process, a generated admin password in the log.
describe('demo mode (no Twilio credentials, PGlite)', () => {
  const dataDir = mkdtempSync(`${tmpdir()}/wa-demo-`);
  let base: string;
  let log = '';
  let child: ReturnType<typeof spawn>;

  let env: NodeJS.ProcessEnv;
  async function start() {
    child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (log += d));
    child.stderr!.on('data', (d) => (log += d));
    await waitFor(async () => (await fetch(`${base}/api/health`).catch(() => null))?.status === 200, 'the server to start', 120_000);
  }
  /** The first admin and the password printed for it, on a line of its own. */
  function generatedAdmin() {
    const email = /First admin created: (\S+) \(its password is on the next line, shown only this once\)/.exec(log)?.[1];
    const password = /admin password: ([\w-]+)/.exec(log)?.[1];
    assert.ok(email && password, `the generated password is in the log:\n${log}`);
    return { email, password };
  }
  async function stop() {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = { ...process.env, PORT: String(port), DATA_DIR: dataDir, BASE_URL: base };
    for (const k of ['DATABASE_URL', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'ADMIN_PASSWORD', 'ADMIN_EMAIL', 'SESSION_SECRET', 'REDIS_URL']) delete env[k];
    await start();
  });
  after(async () => {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('warns, prints a generated admin password once, marks every API answer', async () => {
    assert.match(log, /DEMO MODE/);
    const { email, password } = generatedAdmin();
    const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    assert.equal(login.status, 200);
    assert.equal(login.headers.get('x-demo-mode'), 'true');
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const me = await fetch(`${base}/api/auth/me`, { headers: { cookie } });
    assert.equal(((await me.json()) as { demoMode: boolean }).demoMode, true);

    // The "Simular" menu: a customer writes, then the Wix site sends; both land in the inbox.
    assert.equal((await fetch(`${base}/api/demo/inbound`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' }, body: JSON.stringify({ from: '+573153369631', body: 'Hola, ¿tienen cita?', profileName: 'Ana' }) })).status, 200);
    assert.equal((await fetch(`${base}/api/demo/external-send`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' }, body: JSON.stringify({ to: '+573153369631', body: 'Sí, mañana a las 8 (enviado desde Wix)' }) })).status, 200);
    const conversation = await waitFor(async () => {
      const list = (await (await fetch(`${base}/api/conversations`, { headers: { cookie } })).json()) as { items: ConversationDto[] };
      return list.items.find((c) => c.contact.phone === '+573153369631');
    }, 'the conversation');
    const messages = await waitFor(async () => {
      const page = (await (await fetch(`${base}/api/conversations/${conversation.id}/messages`, { headers: { cookie } })).json()) as { items: MessageDto[] };
      return page.items.some((x) => x.source === 'external' && x.body === 'Sí, mañana a las 8 (enviado desde Wix)') ? page.items : undefined;
    }, 'the outside message with its text', 15_000);
    assert.deepEqual(messages.map((x) => x.source), ['inbound', 'external']);
  });

  test('the status path answers 405 to GET (what an operator checks from outside)', async () => {
    assert.equal((await fetch(`${base}/api/whatsapp/status`)).status, 405);
  });

  test('after a restart on the same data folder, a free-text reply to a customer who wrote today is delivered (not failed 63016)', async () => {
    const { email, password } = generatedAdmin();
    await stop();
    await start();
    assert.equal(log.match(/admin password: /g)?.length, 1, 'the password is shown on the first start only');
    const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    assert.equal(login.status, 200);
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const list = (await (await fetch(`${base}/api/conversations`, { headers: { cookie } })).json()) as { items: ConversationDto[] };
    const conversation = list.items.find((c) => c.contact.phone === '+573153369631')!;
    assert.ok(conversation.windowExpiresAt && Date.parse(conversation.windowExpiresAt) > Date.now(), 'the panel shows the window open');
    const sent = await fetch(`${base}/api/conversations/${conversation.id}/messages`, {
      method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' }, body: JSON.stringify({ body: 'Sí, la esperamos a las 8.' }),
    });
    assert.equal(sent.status, 201);
    const { id } = (await sent.json()) as MessageDto;
    const final = await waitFor(async () => {
      const page = (await (await fetch(`${base}/api/conversations/${conversation.id}/messages`, { headers: { cookie } })).json()) as { items: MessageDto[] };
      const m = page.items.find((x) => x.id === id);
      return m && ['delivered', 'read', 'failed', 'undelivered'].includes(m.status) ? m : undefined;
    }, 'the reply to reach a final status', 20_000);
    assert.ok(['delivered', 'read'].includes(final.status), `the reply ended ${final.status} (${final.errorCode ?? 'no error code'})`);
  });
});
