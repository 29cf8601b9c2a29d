import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';
import { databaseKinds } from './support/databases.ts';
import { ADMIN, newSid, OUR_NUMBER, startTestInbox, statusParams, type TestInbox } from './support/inbox.ts';

const WEBHOOKS = ['/api/whatsapp/status', '/api/whatsapp/incoming'];

/** A raw HTTP request: fetch refuses TRACE and always names a content type for a string body. */
function raw(url: string, method: string, o: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const length = o.body !== undefined && !o.headers?.['transfer-encoding'] ? { 'content-length': String(Buffer.byteLength(o.body)) } : {};
    const req = httpRequest(url, { method, agent: false, headers: { ...length, ...(o.headers ?? {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

// HTTP-level contract: one database is enough.
describe(`method and body-type contracts (${databaseKinds()[0]})`, () => {
  let inbox: TestInbox;
  before(async () => {
    inbox = await startTestInbox({ kind: databaseKinds()[0]!, startWorkers: false });
  });
  after(() => inbox.close());

  const sign = (path: string, params: Record<string, string>) => twilio.getExpectedTwilioSignature(inbox.authToken, inbox.baseUrl + path, params);
  const stored = async (sid: string) => (await inbox.db.query('SELECT 1 FROM messages WHERE sid = $1', [sid])).rows.length;
  const inboundParams = () => ({ MessageSid: newSid(), AccountSid: inbox.accountSid, From: 'whatsapp:+573185550000', To: OUR_NUMBER, Body: 'hola', NumMedia: '0' });

  test('every method but POST on the webhook paths answers 405 with Allow: POST, TRACE and OPTIONS included, whatever the body', async () => {
    for (const path of WEBHOOKS) {
      for (const method of ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'PATCH', 'DELETE', 'QUERY']) {
        const res = await raw(inbox.baseUrl + path, method);
        assert.equal(res.status, 405, `${method} ${path}`);
        assert.equal(res.headers.allow, 'POST', `${method} ${path}`);
        if (method !== 'HEAD') assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'method_not_allowed');
      }
      for (const [type, body] of [['application/json', '{"a":'], ['text/plain', 'x'], ['application/x-www-form-urlencoded', 'a=1']] as const) {
        const res = await raw(inbox.baseUrl + path, 'PUT', { headers: { 'content-type': type }, body });
        assert.equal(res.status, 405, `PUT ${path} with ${type}`);
        assert.equal(res.headers.allow, 'POST');
      }
    }
  });

  test('webhooks take only application/x-www-form-urlencoded: JSON, text, multipart and no content type are 415 and store nothing', async () => {
    const path = '/api/whatsapp/incoming';
    const params = inboundParams();
    const headers = { 'x-twilio-signature': sign(path, params) };
    const form = new URLSearchParams(params).toString();
    const multipart = new FormData();
    for (const [k, v] of Object.entries(params)) multipart.append(k, v);
    const refused: [string, () => Promise<{ status: number; body: string }>][] = [
      ['json', () => raw(inbox.baseUrl + path, 'POST', { headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(params) })],
      ['json with charset', () => raw(inbox.baseUrl + path, 'POST', { headers: { ...headers, 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(params) })],
      ['text/plain', () => raw(inbox.baseUrl + path, 'POST', { headers: { ...headers, 'content-type': 'text/plain' }, body: form })],
      ['multipart', async () => { const r = await fetch(inbox.baseUrl + path, { method: 'POST', headers, body: multipart }); return { status: r.status, body: await r.text() }; }],
      ['no content type', () => raw(inbox.baseUrl + path, 'POST', { headers, body: form })],
      ['chunked, no content type', () => raw(inbox.baseUrl + path, 'POST', { headers: { ...headers, 'transfer-encoding': 'chunked' }, body: form })],
      ['a lookalike type', () => raw(inbox.baseUrl + path, 'POST', { headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded-x' }, body: form })],
    ];
    for (const [what, send] of refused) {
      const res = await send();
      assert.equal(res.status, 415, `${what}: ${res.body}`);
      assert.equal((JSON.parse(res.body) as { error: { code: string; messageEs: string } }).error.code, 'unsupported_media_type', what);
    }
    assert.equal(await stored(params.MessageSid), 0, 'nothing stored');
    const status = statusParams(newSid(), 'sent');
    const json = await raw(inbox.baseUrl + WEBHOOKS[0]!, 'POST', { headers: { 'x-twilio-signature': sign(WEBHOOKS[0]!, status), 'content-type': 'application/json' }, body: JSON.stringify(status) });
    assert.equal(json.status, 415, 'the status webhook too');

    // The form, with or without a charset, is still taken.
    const ok = await raw(inbox.baseUrl + path, 'POST', { headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' }, body: form });
    assert.equal(ok.status, 200, ok.body);
    assert.equal(await stored(params.MessageSid), 1);
    assert.equal((await inbox.postSigned(WEBHOOKS[0]!, statusParams(newSid(), 'sent'))).status, 204);
  });

  test('the JSON API takes only application/json: a form or any other body is 415 and changes nothing', async () => {
    const credentials = { email: ADMIN.email, password: ADMIN.password };
    const login = (type: string | null, body: string) => raw(inbox.baseUrl + '/api/auth/login', 'POST', { headers: type ? { 'content-type': type } : {}, body });
    for (const [type, body] of [
      ['application/x-www-form-urlencoded', new URLSearchParams(credentials).toString()],
      ['text/plain', JSON.stringify(credentials)],
      ['multipart/form-data; boundary=x', `--x\r\nContent-Disposition: form-data; name="email"\r\n\r\n${ADMIN.email}\r\n--x--\r\n`],
      ['application/jsonp', JSON.stringify(credentials)],
      [null, JSON.stringify(credentials)],
    ] as const) {
      const res = await login(type, body);
      assert.equal(res.status, 415, `login with ${type}: ${res.body}`);
      assert.equal(res.headers['set-cookie'], undefined, 'no session');
    }
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON']) {
      const res = await login(type, JSON.stringify(credentials));
      assert.equal(res.status, 200, `login with ${type}: ${res.body}`);
    }

    const admin = await inbox.login();
    const settingsBefore = await (await fetch(inbox.baseUrl + '/api/settings', { headers: admin.headers })).text();
    const formSettings = await raw(inbox.baseUrl + '/api/settings', 'PUT', { headers: { ...admin.headers, 'content-type': 'application/x-www-form-urlencoded' }, body: 'externalRaisesConversation=false' });
    assert.equal(formSettings.status, 415, formSettings.body);
    const formUser = await raw(inbox.baseUrl + '/api/users', 'POST', { headers: { ...admin.headers, 'content-type': 'application/x-www-form-urlencoded' }, body: 'email=x%40clinica.test&name=X&password=abcdefghijkl&role=agent' });
    assert.equal(formUser.status, 415, formUser.body);
    assert.equal((await inbox.db.query("SELECT 1 FROM users WHERE email = 'x@clinica.test'")).rows.length, 0);
    assert.equal(await (await fetch(inbox.baseUrl + '/api/settings', { headers: admin.headers })).text(), settingsBefore, 'settings unchanged');

    // No body, or an unknown route: as before.
    assert.equal((await raw(inbox.baseUrl + '/api/nowhere', 'POST', { headers: { 'content-type': 'text/plain' }, body: 'x' })).status, 404);
    assert.equal((await raw(inbox.baseUrl + '/api/conversations', 'GET', { headers: { ...admin.headers, 'content-type': 'text/plain' } })).status, 200);
    const logout = await raw(inbox.baseUrl + '/api/auth/logout', 'POST', { headers: { ...admin.headers, 'sec-fetch-site': 'same-origin' } });
    assert.ok(logout.status < 300, `logout without a body: ${logout.status} ${logout.body}`);
  });
});
