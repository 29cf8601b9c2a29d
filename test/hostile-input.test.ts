import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { databaseKinds } from './support/databases.ts';
import { ADMIN, newSid, OUR_NUMBER, startTestInbox, statusParams, type TestInbox } from './support/inbox.ts';

// Deterministic pseudo-random input, so a failure can be replayed.
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}
const pick = <T>(r: () => number, xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
const JUNK = ['', ' ', '%', '%zz', '%FF', '\u0000', '🇨🇴', '<script>', "' OR 1=1 --", 'a'.repeat(5000), '-1', '1e309', 'null', '[]', '{}', 'whatsapp:', 'whatsapp:+', 'whatsapp:+57abc', 'SM' + 'g'.repeat(32), 'read', 'READ'];

function mutate(r: () => number, params: Record<string, string>): Record<string, string> {
  const out = { ...params };
  const keys = Object.keys(out);
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const what = r();
    if (what < 0.4) out[pick(r, keys)] = pick(r, JUNK);
    else if (what < 0.6) delete out[pick(r, keys)];
    else if (what < 0.8) out[randomBytes(4).toString('hex')] = pick(r, JUNK);
    else out[pick(r, keys)] = randomBytes(Math.floor(r() * 40)).toString('latin1');
  }
  return out;
}

describe(`hostile input (${databaseKinds()[0]})`, () => {
  let inbox: TestInbox;
  const log = new PassThrough();
  let logText = '';
  log.on('data', (d) => (logText += d));
  before(async () => {
    inbox = await startTestInbox({ kind: databaseKinds()[0]!, startWorkers: false, logStream: log });
  });
  after(() => inbox.close());

  test('the Twilio auth token, passwords and session tokens never reach the log', async () => {
    const cookie = await inbox.loginCookie();
    await inbox.postSigned('/api/whatsapp/status', statusParams(newSid(), 'sent'));
    await inbox.postSigned('/api/whatsapp/status', statusParams(newSid(), 'sent'), { signature: 'AAAA' });
    await fetch(inbox.baseUrl + '/api/conversations', { headers: { cookie } });
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(logText.length > 1000, 'the server logged at trace level');
    assert.ok(!logText.includes(inbox.authToken), 'the auth token is not in the log');
    assert.ok(!logText.includes(ADMIN.password), 'the admin password is not in the log');
    const token = decodeURIComponent(cookie.split('=')[1]!).split('.')[0]!;
    assert.ok(!logText.includes(token), 'the session token is not in the log');
  });

  test('accepted callbacks write no request lines (even at trace); a refused one is logged as a warning', async () => {
    const accepted = newSid(), refused = newSid();
    assert.equal((await inbox.postSigned('/api/whatsapp/status', statusParams(accepted, 'sent'))).status, 204);
    assert.equal((await inbox.postSigned(`/api/whatsapp/status?probe=${refused}`, statusParams(refused, 'sent'), { signature: 'AAAA' })).status, 403);
    const conversations = await fetch(inbox.baseUrl + '/api/conversations');
    await new Promise((r) => setTimeout(r, 100));
    const lines = logText.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg?: string; url?: string; req?: { url?: string } });
    const about = (needle: string) => lines.filter((l) => JSON.stringify(l).includes(needle));
    assert.deepEqual(about(accepted), [], 'a campaign\'s callbacks do not flood the log');
    const refusal = about(refused);
    assert.ok(refusal.length >= 1 && refusal.every((l) => l.level >= 40), 'the refusal is there, at warn');
    assert.equal(conversations.status, 401);
    assert.ok(lines.some((l) => l.req?.url === '/api/conversations'), 'other routes still log their requests');
  });

  test('thousands of random and mutated payloads: never a 500, nothing stored from unsigned ones, the server keeps serving', async () => {
    const r = rng(20261128);
    const statuses = new Map<number, number>();
    const count = (s: number) => statuses.set(s, (statuses.get(s) ?? 0) + 1);
    const { headers: auth } = await inbox.login();
    for (let i = 0; i < 1500; i++) {
      const base = i % 2 ? statusParams(newSid(), pick(r, ['sent', 'delivered', 'read', 'failed'])) : {
        MessageSid: newSid(), From: 'whatsapp:+573001234567', To: OUR_NUMBER, Body: 'hola', NumMedia: '1', MediaUrl0: 'https://api.twilio.com/x',
      };
      const path = i % 2 ? '/api/whatsapp/status' : '/api/whatsapp/incoming';
      const params = mutate(r, base);
      // Unsigned (or wrongly signed): must store nothing.
      const unsigned = await inbox.postSigned(path, params, { signature: i % 3 ? 'AAAA' : null });
      count(unsigned.status);
      // 403 for the signature, or 400 when the body cannot even be parsed: never accepted.
      assert.ok(unsigned.status === 403 || unsigned.status === 400, `unsigned ${path} answered ${unsigned.status}`);
      // Signed: may be refused as malformed, never a 500.
      const signed = await inbox.postSigned(path + (r() < 0.2 ? `?mid=${pick(r, JUNK)}` : ''), params);
      count(signed.status);
      assert.ok(signed.status < 500, `signed ${path} ${JSON.stringify(params).slice(0, 300)} answered ${signed.status}`);
    }
    for (let i = 0; i < 500; i++) {
      const body = pick(r, [JSON.stringify({ body: pick(r, JUNK) }), JSON.stringify({ contentSid: pick(r, JUNK), contentVariables: pick(r, [{}, [], 'x', { 1: 2 }]) }), pick(r, JUNK), '{"body":', 'null', '[]']);
      const target = pick(r, ['/api/conversations/' + pick(r, ['x', '00000000-0000-4000-8000-000000000000', '%00']) + '/messages', '/api/users', '/api/settings', '/api/auth/login', `/api/conversations?cursor=${encodeURIComponent(pick(r, JUNK))}`]);
      const method = target.includes('cursor') ? 'GET' : pick(r, ['POST', 'PUT', 'PATCH']);
      const res = await fetch(inbox.baseUrl + target, {
        method, headers: { ...auth, 'content-type': pick(r, ['application/json', 'text/plain', 'application/x-www-form-urlencoded']) }, body: method === 'GET' ? undefined : body,
      });
      count(res.status);
      assert.ok(res.status < 500, `${method} ${target} ${body.slice(0, 200)} answered ${res.status}`);
    }
    // Unsigned payloads stored nothing: every stored message came from a signed request.
    const { rows } = await inbox.db.query<{ n: string }>('SELECT count(*) AS n FROM messages');
    assert.ok(Number(rows[0]!.n) <= 1500, 'no more messages than signed requests');
    assert.equal((await fetch(inbox.baseUrl + '/api/health')).status, 200);
    assert.ok(!statuses.has(500), `answers: ${JSON.stringify([...statuses])}`);
  });

  test('login is rate limited and answers unknown user and wrong password alike', async () => {
    const attempt = (email: string) => fetch(inbox.baseUrl + '/api/auth/login', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'nope-nope' }),
    });
    const answers: number[] = [];
    for (let i = 0; i < 12; i++) answers.push((await attempt(i % 2 ? ADMIN.email : 'ghost@clinica.test')).status);
    assert.deepEqual(answers.slice(0, 10), Array(10).fill(401));
    assert.deepEqual(answers.slice(10), [429, 429], 'the eleventh failure within 15 minutes is refused (test/login-limits.test.ts covers the limits)');
  });

});
