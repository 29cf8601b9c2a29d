// The local Twilio, driven by the real twilio library through the gateway's http client,
// with a real HTTP server receiving its webhooks and checking every signature.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { after, before, describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import twilio from 'twilio';
import { createTwilioHttpClient } from '../src/twilio/http-client.ts';

// The local Twilio's own answers, 429s included: no retry in between.
const localClient = (apiUrl: string) => createTwilioHttpClient({ apiUrl, timeoutMs: 10_000, rateLimitRetries: 0 });
import { startLocalTwilio, type LocalTwilio, type LocalTwilioOptions } from '../src/twilio/local/server.ts';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const ACCOUNT_SID = 'AC' + hex(16);
const AUTH_TOKEN = hex(16);
const OUR_NUMBER = 'whatsapp:+573000000001';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

type RestError = Error & { status: number; code: number; moreInfo?: string };

// --- a webhook receiver: what our server is to Twilio ---------------------------------------

interface Received {
  path: string;
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  signatureValid: boolean;
  /** When the request came in, and when it was answered (ms since the epoch). */
  arrivedAt: number;
  answeredAt: number | null;
}

interface Receiver {
  origin: string;
  url(path: string): string;
  at(pathPrefix: string): Received[];
  waitFor(pathPrefix: string, count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  let origin = '';
  const server: Server = createServer(async (req, res) => {
    const arrivedAt = Date.now();
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const params = Object.fromEntries(new URLSearchParams(raw));
    // The URL Twilio called, query included: what the signature covers.
    const signatureValid = twilio.validateRequest(AUTH_TOKEN, String(req.headers['x-twilio-signature'] ?? ''), origin + req.url, params);
    const entry: Received = { path: req.url!, params, headers: req.headers, signatureValid, arrivedAt, answeredAt: null };
    received.push(entry);
    // A slow server: each answer held 100 ms.
    if (req.url!.includes('/slow')) await new Promise((r) => setTimeout(r, 100));
    entry.answeredAt = Date.now();
    res.writeHead(req.url!.includes('/answer500') ? 500 : 200, { 'content-type': 'text/xml' });
    res.end('<Response/>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const at = (prefix: string) => received.filter((r) => r.path.startsWith(prefix));
  return {
    origin,
    url: (path) => origin + path,
    at,
    async waitFor(prefix, count, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (at(prefix).length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} webhooks at ${prefix}, got ${at(prefix).length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return at(prefix);
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

let receiver: Receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver.close());

/** Each webhook came in only once the one before it was answered. */
function assertOneAfterAnother(got: Received[]) {
  for (let i = 1; i < got.length; i++) {
    const [previous, next] = [got[i - 1]!, got[i]!];
    assert.ok(previous.answeredAt !== null && next.arrivedAt >= previous.answeredAt, `${next.params.MessageStatus} left before ${previous.params.MessageStatus} was answered`);
  }
}

let pathCounter = 0;
/** A fresh path on the receiver, so each test reads only its own webhooks. */
const freshPath = (name: string) => `/t${++pathCounter}/${name}`;

async function startLocal(t: TestContext, o: Partial<LocalTwilioOptions> = {}) {
  const local = await startLocalTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, whatsappFrom: OUR_NUMBER, lifecycle: { delayMs: 10 }, ...o });
  t.after(() => local.close());
  const client = twilio(ACCOUNT_SID, AUTH_TOKEN, { httpClient: localClient(local.url) });
  return { local, client };
}

const customer = () => `whatsapp:+5731${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
const basicAuth = 'Basic ' + Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64');

async function rejection(work: Promise<unknown>): Promise<RestError> {
  try {
    await work;
  } catch (err) {
    return err as RestError;
  }
  assert.fail('expected the request to fail');
}

// --- the redirecting http client ----------------------------------------------------------

describe('createTwilioHttpClient with a local apiUrl', () => {
  test('rewrites any *.twilio.com origin to the local URL, keeping path and query; leaves other hosts alone', async (t) => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.headers.host} ${req.url} ${req.headers.authorization ?? ''}`);
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      server.closeAllConnections();
      server.close();
    });
    const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const client = localClient(origin);
    // RequestClient only adds the Authorization header to a headers object it is given (as
    // twilio's BaseTwilio always does); without `headers` the credentials are silently dropped.
    await client.request({ method: 'get', uri: 'https://content.twilio.com/v1/Content?PageSize=2&Page=1', username: 'u', password: 'p', headers: {} });
    await client.request({ method: 'get', uri: 'https://messaging.au1.twilio.com/v2/Channels/Senders' });
    await client.request({ method: 'get', uri: `${origin}/not-twilio?a=1` });
    const host = new URL(origin).host;
    assert.deepEqual(seen, [
      `${host} /v1/Content?PageSize=2&Page=1 Basic ${Buffer.from('u:p').toString('base64')}`,
      `${host} /v2/Channels/Senders `,
      `${host} /not-twilio?a=1 `,
    ]);
    // A look-alike host is not Twilio: not redirected (had it been, our server would have answered).
    await assert.rejects(client.request({ method: 'get', uri: 'https://api.twilio.com.invalid/' }));
    assert.equal(seen.length, 3);
  });
});

// --- REST: messages ------------------------------------------------------------------------

describe('messages API', () => {
  test('create and fetch return the message resource as Twilio writes it', async (t) => {
    const { local, client } = await startLocal(t, { lifecycle: { statuses: [] } });
    const to = customer();
    await local.simulateInbound({ from: to, body: 'hola' });
    const created = await client.messages.create({ from: OUR_NUMBER, to, body: 'Su cita es mañana' });
    assert.match(created.sid, /^SM[0-9a-f]{32}$/);
    assert.equal(created.status, 'queued');
    assert.equal(created.direction, 'outbound-api');
    assert.equal(created.from, OUR_NUMBER);
    assert.equal(created.to, to);
    assert.equal(created.body, 'Su cita es mañana');
    assert.equal(created.numMedia, '0');
    assert.equal(created.price, null);
    assert.equal(created.accountSid, ACCOUNT_SID);
    assert.equal(created.uri, `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${created.sid}.json`);
    // RFC 2822 on the wire, parsed back into a Date by the library.
    assert.ok(created.dateCreated instanceof Date && Math.abs(created.dateCreated.getTime() - Date.now()) < 5_000, `dateCreated ${created.dateCreated}`);
    assert.equal(created.dateSent, null);

    const fetched = await client.messages(created.sid).fetch();
    assert.equal(fetched.sid, created.sid);
    assert.equal(fetched.body, 'Su cita es mañana');

    const missing = await rejection(client.messages('SM' + hex(16)).fetch());
    assert.equal(missing.status, 404);
    assert.equal(missing.code, 20404);
  });

  test('list() follows next_page_uri: 120 messages in pages of 50 come back once each, newest first', async (t) => {
    const { local, client } = await startLocal(t, { lifecycle: { statuses: [] }, enforceWindow: false });
    const sids: string[] = [];
    for (let i = 0; i < 120; i++) sids.push((await local.simulateExternalSend({ to: customer(), body: `campaña ${i}` })).sid);

    const listed = await client.messages.list({ pageSize: 50 });
    assert.equal(listed.length, 120);
    assert.equal(new Set(listed.map((m) => m.sid)).size, 120);
    assert.deepEqual(listed.map((m) => m.sid), [...sids].reverse());

    const first = await client.messages.page({ pageSize: 50 });
    assert.equal(first.instances.length, 50);
    const second = await first.nextPage();
    assert.equal(second!.instances.length, 50);
    const third = await second!.nextPage();
    assert.deepEqual(third!.instances.map((m) => m.sid), sids.slice(0, 20).reverse());
    assert.equal(third!.nextPageUrl, undefined, 'the last page has no next page');
    assert.equal(await third!.nextPage(), undefined);

    const eached: string[] = [];
    await client.messages.each({ pageSize: 50 }, (m) => eached.push(m.sid));
    assert.equal(eached.length, 120);
  });

  test('paging by cursor: messages created while a client pages neither repeat nor get skipped', async (t) => {
    const { local, client } = await startLocal(t, { lifecycle: { statuses: [] }, enforceWindow: false });
    const before: string[] = [];
    for (let i = 0; i < 30; i++) before.push((await local.simulateExternalSend({ to: customer(), body: `m${i}` })).sid);
    const first = await client.messages.page({ pageSize: 10 });
    for (let i = 0; i < 5; i++) await local.simulateExternalSend({ to: customer(), body: `new ${i}` });
    const seen = first.instances.map((m) => m.sid);
    let page = await first.nextPage();
    while (page) {
      seen.push(...page.instances.map((m) => m.sid));
      page = await page.nextPage();
    }
    assert.deepEqual(seen, [...before].reverse());
  });

  test('list filters: To, From, DateSent> / DateSent< (timestamps and whole days); inbound messages included', async (t) => {
    const { local, client } = await startLocal(t, { lifecycle: { statuses: ['sent'], delayMs: 5 }, enforceWindow: false });
    const ana = customer();
    const inbound = await local.simulateInbound({ from: ana, body: 'hola' });
    const reply = await local.simulateExternalSend({ to: ana, body: 'respuesta' });
    await local.simulateExternalSend({ to: customer(), body: 'otro' });
    await local.idle();

    const toAna = await client.messages.list({ to: ana });
    assert.deepEqual(toAna.map((m) => m.sid), [reply.sid]);
    const fromAna = await client.messages.list({ from: ana });
    assert.deepEqual(fromAna.map((m) => [m.sid, m.direction, m.status]), [[inbound.sid, 'inbound', 'received']]);

    assert.equal((await client.messages.list({ dateSentAfter: new Date(Date.now() - 60_000) })).length, 3);
    assert.equal((await client.messages.list({ dateSentAfter: new Date(Date.now() + 60_000) })).length, 0);
    assert.equal((await client.messages.list({ dateSentBefore: new Date(Date.now() - 60_000) })).length, 0);
    // Day precision, as Twilio documents it: today's date covers the whole day.
    const today = new Date().toISOString().slice(0, 10);
    const res = await fetch(`${local.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json?${new URLSearchParams({ 'DateSent>': today, 'DateSent<': today })}`, { headers: { authorization: basicAuth } });
    assert.equal(((await res.json()) as { messages: unknown[] }).messages.length, 3);
    const bad = await fetch(`${local.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json?DateSent%3E=yesterday`, { headers: { authorization: basicAuth } });
    assert.equal(bad.status, 400);
  });

  test('validation errors come back as RestException with Twilio\'s codes', async (t) => {
    const { client } = await startLocal(t);
    const cases: [Record<string, string>, number][] = [
      [{ from: OUR_NUMBER, to: 'whatsapp:573001', body: 'x' }, 21211],
      [{ from: OUR_NUMBER, to: '+573001234567', body: 'x' }, 21211],
      [{ to: 'whatsapp:+573001234567', body: 'x' }, 21603],
      [{ from: '+14155550000', to: 'whatsapp:+573001234567', body: 'x' }, 21910],
      [{ from: 'whatsapp:+14155550000', to: 'whatsapp:+573001234567', body: 'x' }, 63007],
      [{ from: OUR_NUMBER, to: 'whatsapp:+573001234567' }, 21602],
      [{ from: OUR_NUMBER, to: 'whatsapp:+573001234567', body: 'x', contentVariables: '{"1":"a"}' }, 21654],
      [{ from: OUR_NUMBER, to: 'whatsapp:+573001234567', contentSid: 'HX' + hex(16) }, 21655],
      [{ from: OUR_NUMBER, to: 'whatsapp:+573001234567', body: 'x'.repeat(1601) }, 21617],
      [{ from: OUR_NUMBER, to: 'whatsapp:+573001234567', body: 'x', statusCallback: 'not a url' }, 21609],
      [{ messagingServiceSid: 'MG' + hex(16), to: 'whatsapp:+573001234567', body: 'x' }, 21701],
    ];
    for (const [params, code] of cases) {
      const err = await rejection(client.messages.create(params as never));
      assert.equal(err.status, 400, JSON.stringify(params));
      assert.equal(err.code, code, JSON.stringify(params));
      assert.equal(err.moreInfo, `https://www.twilio.com/docs/errors/${code}`);
    }
    const [template] = await client.content.v1.contents.list({ limit: 1 });
    const badJson = await rejection(client.messages.create({ from: OUR_NUMBER, to: 'whatsapp:+573001234567', contentSid: template!.sid, contentVariables: '{"1":' }));
    assert.equal(badJson.code, 21656);
    // The library itself insists on `to`; Twilio's own answer for a form without it:
    const raw = await fetch(`${(await startLocal(t)).local.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`, {
      method: 'POST', headers: { authorization: basicAuth, 'content-type': 'application/x-www-form-urlencoded' }, body: `From=${encodeURIComponent(OUR_NUMBER)}&Body=x`,
    });
    assert.equal(raw.status, 400);
    assert.deepEqual(await raw.json(), { code: 21604, message: "A 'To' phone number is required.", more_info: 'https://www.twilio.com/docs/errors/21604', status: 400 });
  });

  test('wrong credentials: 401 with code 20003, surfaced by the library as RestException', async (t) => {
    const { local } = await startLocal(t);
    const intruder = twilio(ACCOUNT_SID, hex(16), { httpClient: localClient(local.url) });
    const err = await rejection(intruder.messages.create({ from: OUR_NUMBER, to: 'whatsapp:+573001234567', body: 'x' }));
    assert.equal(err.constructor.name, 'RestException');
    assert.equal(err.status, 401);
    assert.equal(err.code, 20003);
    const anonymous = await fetch(`${local.url}/v1/Content`);
    assert.equal(anonymous.status, 401);
    assert.deepEqual(await anonymous.json(), { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
    assert.equal(local.messages().length, 0, 'nothing was created');
    const unknown = await fetch(`${local.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`, { headers: { authorization: basicAuth } });
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { code: number }).code, 20404);
  });

  test('injectFault: 500 and 429 surface as errors for `count` requests, delays hold the answer, pathContains narrows it', async (t) => {
    const { local, client } = await startLocal(t, { lifecycle: { statuses: [] }, enforceWindow: false });
    const send = () => client.messages.create({ from: OUR_NUMBER, to: 'whatsapp:+573001234567', body: 'x' });
    local.injectFault({ status: 500, count: 1 });
    const err = await rejection(send());
    assert.equal(err.status, 500);
    assert.ok((await send()).sid, 'the fault was used up');

    local.injectFault({ status: 429, count: 2 });
    assert.equal((await rejection(send())).status, 429);
    assert.equal((await rejection(client.messages.list())).code, 20429);
    assert.ok((await send()).sid, 'the 429s were used up');

    local.injectFault({ status: 503, pathContains: '/v1/Content' });
    assert.ok((await send()).sid, 'other paths are untouched');
    assert.equal((await rejection(client.content.v1.contents.list())).status, 503);
    assert.equal((await rejection(client.content.v1.contents.list())).status, 503, 'no count: until cleared');
    local.injectFault(null);
    assert.ok((await client.content.v1.contents.list()).length > 0, 'the fault was cleared');

    local.injectFault({ delayMs: 300, count: 1 });
    const started = Date.now();
    await send();
    assert.ok(Date.now() - started >= 290, 'the answer was held');
    assert.equal(local.messages().length, 4);
  });
});

// --- status callbacks ------------------------------------------------------------------------

describe('status callbacks', () => {
  test('signed callbacks follow the lifecycle: sent, delivered, read, with Twilio\'s WhatsApp fields; the resource advances too', async (t) => {
    const { local, client } = await startLocal(t);
    const to = customer();
    await local.simulateInbound({ from: to, body: 'hola' });
    const path = freshPath('status');
    const m = await client.messages.create({ from: OUR_NUMBER, to, body: 'Hola', statusCallback: receiver.url(`${path}?mid=42`) });
    const got = await receiver.waitFor(path, 3);
    await local.idle();
    assert.deepEqual(got.map((r) => r.params.MessageStatus), ['sent', 'delivered', 'read'], 'no callback for the initial queued');
    for (const r of got) {
      assert.ok(r.signatureValid, 'X-Twilio-Signature verifies over the URL with its query');
      assert.equal(r.path, `${path}?mid=42`);
      assert.equal(r.headers['content-type'], 'application/x-www-form-urlencoded');
      assert.equal(r.headers['user-agent'], 'TwilioProxy/1.1');
      assert.ok(r.headers['i-twilio-idempotency-token'], 'I-Twilio-Idempotency-Token is set');
      const p = r.params;
      assert.equal(p.MessageSid, m.sid);
      assert.equal(p.SmsSid, m.sid);
      assert.equal(p.SmsStatus, p.MessageStatus);
      assert.equal(p.AccountSid, ACCOUNT_SID);
      assert.equal(p.From, OUR_NUMBER);
      assert.equal(p.To, to);
      assert.equal(p.ChannelToAddress, to.replace('whatsapp:', ''));
      assert.equal(p.ChannelPrefix, 'whatsapp');
      assert.equal(p.ChannelInstallSid, local.whatsappSenderSid);
      assert.equal(p.ApiVersion, '2010-04-01');
      assert.equal(p.MessagingServiceSid, undefined, 'sent with From, not through the service');
      assert.equal(p.ErrorCode, undefined);
    }
    assert.equal(got[0]!.params.StructuredMessage, 'false');
    assert.equal(got[1]!.params.StructuredMessage, undefined);
    assert.deepEqual(got.map((r) => r.params.EventType), [undefined, 'DELIVERED', 'READ']);
    // The signature really covers the params: one changed value no longer verifies.
    const first = got[0]!;
    assert.equal(twilio.validateRequest(AUTH_TOKEN, String(first.headers['x-twilio-signature']), receiver.url(first.path), { ...first.params, MessageStatus: 'read' }), false);

    const fetched = await client.messages(m.sid).fetch();
    assert.equal(fetched.status, 'read');
    assert.ok(fetched.dateSent instanceof Date, 'date_sent is set once sent');
    assert.deepEqual(local.callbacks().filter((c) => c.params.MessageSid === m.sid).map((c) => c.status), [200, 200, 200]);
  });

  test('one message\'s callbacks arrive in the order announced: each leaves once the previous was answered, even by a slow server', async (t) => {
    const { local, client } = await startLocal(t, { enforceWindow: false, lifecycle: { delayMs: 5 } });
    const path = freshPath('slow');
    const m = await client.messages.create({ from: OUR_NUMBER, to: customer(), body: 'x', statusCallback: receiver.url(path) });
    await local.idle();
    const got = receiver.at(path);
    assert.deepEqual(got.map((r) => r.params.MessageStatus), ['sent', 'delivered', 'read']);
    assertOneAfterAnother(got);
    assert.equal((await client.messages(m.sid).fetch()).status, 'read');

    local.setLifecycle({ delayMs: 5, reorder: true });
    const shuffledPath = freshPath('slow-shuffled');
    await client.messages.create({ from: OUR_NUMBER, to: customer(), body: 'x', statusCallback: receiver.url(shuffledPath) });
    await local.idle();
    assert.equal(receiver.at(shuffledPath).length, 3);
    assertOneAfterAnother(receiver.at(shuffledPath));
  });

  test('reorder sends the callbacks shuffled while the stored status still ends at read; duplicate sends each twice with one idempotency token', async (t) => {
    const { local, client } = await startLocal(t, { enforceWindow: false, lifecycle: { delayMs: 5, reorder: true } });
    const path = freshPath('reorder');
    const shuffled = await client.messages.create({ from: OUR_NUMBER, to: customer(), body: 'x', statusCallback: receiver.url(path) });
    const got = await receiver.waitFor(path, 3);
    await local.idle();
    assert.deepEqual([...got.map((r) => r.params.MessageStatus)].sort(), ['delivered', 'read', 'sent']);
    assert.notDeepEqual(got.map((r) => r.params.MessageStatus), ['sent', 'delivered', 'read']);
    assert.ok(got.every((r) => r.signatureValid), 'every signature verifies');
    assert.equal((await client.messages(shuffled.sid).fetch()).status, 'read');

    local.setLifecycle({ delayMs: 5, duplicate: true });
    const path2 = freshPath('duplicate');
    await client.messages.create({ from: OUR_NUMBER, to: customer(), body: 'x', statusCallback: receiver.url(path2) });
    await local.idle();
    const twice = receiver.at(path2);
    assert.equal(twice.length, 6);
    for (const status of ['sent', 'delivered', 'read']) {
      const copies = twice.filter((r) => r.params.MessageStatus === status);
      assert.equal(copies.length, 2, status);
      assert.equal(copies[0]!.headers['i-twilio-idempotency-token'], copies[1]!.headers['i-twilio-idempotency-token']);
    }
  });

  test('failWith 63016: after queued the next (and last) callback is failed with ErrorCode; the resource says so', async (t) => {
    const { local, client } = await startLocal(t, { enforceWindow: false, lifecycle: { delayMs: 5, failWith: 63016 } });
    const path = freshPath('fail');
    const m = await client.messages.create({ from: OUR_NUMBER, to: customer(), body: 'x', statusCallback: receiver.url(path) });
    await local.idle();
    const got = receiver.at(path);
    assert.deepEqual(got.map((r) => [r.params.MessageStatus, r.params.ErrorCode]), [['failed', '63016']]);
    assert.match(got[0]!.params.ChannelStatusMessage!, /outside the allowed window/);
    assert.ok(got[0]!.signatureValid, 'the signature verifies');
    const fetched = await client.messages(m.sid).fetch();
    assert.equal(fetched.status, 'failed');
    assert.equal(fetched.errorCode, 63016);
    assert.match(fetched.errorMessage, /^Failed to send freeform message because you are outside the allowed window/);
  });

  test('24-hour rule: free text to someone who never wrote is accepted, then fails 63016; a template goes out; after they write, free text goes out', async (t) => {
    const { local, client } = await startLocal(t, { lifecycle: { delayMs: 5 } });
    const to = customer();
    const path = freshPath('window');
    const cb = receiver.url(path);
    const [template] = (await client.content.v1.contentAndApprovals.list()).filter((c) => (c.approvalRequests as { whatsapp: { status: string } }).whatsapp.status === 'approved');

    const early = await client.messages.create({ from: OUR_NUMBER, to, body: 'hola', statusCallback: cb });
    assert.equal(early.status, 'queued', 'Twilio accepts it first');
    const viaTemplate = await client.messages.create({ from: OUR_NUMBER, to, contentSid: template!.sid, contentVariables: JSON.stringify({ 1: 'Ana' }), statusCallback: cb });
    await local.idle();
    const statuses = (sid: string) => receiver.at(path).filter((r) => r.params.MessageSid === sid).map((r) => r.params.MessageStatus);
    assert.deepEqual(statuses(early.sid), ['failed']);
    assert.equal(receiver.at(path).find((r) => r.params.MessageSid === early.sid)!.params.ErrorCode, '63016');
    assert.deepEqual(statuses(viaTemplate.sid), ['sent', 'delivered', 'read']);
    assert.equal(receiver.at(path).find((r) => r.params.MessageSid === viaTemplate.sid && r.params.MessageStatus === 'sent')!.params.StructuredMessage, 'true');

    await local.simulateInbound({ from: to, body: 'Hola, sí' });
    const inWindow = await client.messages.create({ from: OUR_NUMBER, to, body: 'Gracias', statusCallback: cb });
    await local.idle();
    assert.deepEqual(statuses(inWindow.sid), ['sent', 'delivered', 'read']);
  });

  test('a template sent through the Messaging Service: accepted, from null, body "" (twilio-node #1081); callbacks start at queued and carry MessagingServiceSid', async (t) => {
    const { local, client } = await startLocal(t, { enforceWindow: false, lifecycle: { delayMs: 5 } });
    const [reminder] = (await client.content.v1.contents.list()).filter((c) => c.friendlyName === 'recordatorio_examen');
    const vars = JSON.stringify({ 1: 'Ana', 2: '5 de junio' });
    const path = freshPath('service');
    const viaService = await client.messages.create({ messagingServiceSid: local.messagingServiceSid, to: customer(), contentSid: reminder!.sid, contentVariables: vars, statusCallback: receiver.url(path) });
    assert.equal(viaService.status, 'accepted');
    assert.equal(viaService.from, null);
    assert.equal(viaService.body, '');
    assert.equal(viaService.messagingServiceSid, local.messagingServiceSid);
    await local.idle();
    const got = receiver.at(path);
    assert.deepEqual(got.map((r) => r.params.MessageStatus), ['queued', 'sent', 'delivered', 'read']);
    assert.ok(got.every((r) => r.params.MessagingServiceSid === local.messagingServiceSid && r.params.From === OUR_NUMBER && r.signatureValid), 'service, sender and signature on every callback');
    const later = await client.messages(viaService.sid).fetch();
    assert.equal(later.body, '', 'still empty when fetched');
    assert.equal(later.from, OUR_NUMBER, 'the sender is known once it left accepted');

    // The same template sent with From comes back rendered; a variable left out takes the template's default.
    const direct = await client.messages.create({ from: OUR_NUMBER, to: customer(), contentSid: reminder!.sid, contentVariables: vars });
    assert.equal(direct.body, 'Hola Ana, le recordamos su examen ocupacional el 5 de junio a las 8:00 a. m..');
  });

  test('a callback URL that refuses connections is retried once, then given up; the message still advances', async (t) => {
    const { local, client } = await startLocal(t, { enforceWindow: false, lifecycle: { delayMs: 5, statuses: ['sent', 'delivered'] } });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as { port: number }).port}/down`;
    await new Promise((resolve) => closed.close(resolve));
    const m = await client.messages.create({ from: OUR_NUMBER, to: customer(), body: 'x', statusCallback: deadUrl });
    await local.idle();
    const attempts = local.callbacks().filter((c) => c.params.MessageSid === m.sid);
    assert.equal(attempts.length, 2);
    assert.deepEqual(attempts.map((a) => [a.status, a.attempts, Boolean(a.error)]), [[null, 2, true], [null, 2, true]], 'each callback tried twice, then given up');
    assert.equal((await client.messages(m.sid).fetch()).status, 'delivered', 'reconciliation from the API finds the final status');

    // A 500 answer is an answer: recorded, not retried.
    const path = freshPath('answer500');
    const m2 = await client.messages.create({ from: OUR_NUMBER, to: customer(), body: 'x', statusCallback: receiver.url(path) });
    await local.idle();
    assert.equal(receiver.at(path).length, 2);
    assert.deepEqual(local.callbacks().filter((c) => c.params.MessageSid === m2.sid).map((c) => [c.status, c.attempts]), [[500, 1], [500, 1]]);
  });

  test('close() cancels pending callbacks and returns at once', async (t) => {
    const { local, client } = await startLocal(t, { enforceWindow: false, lifecycle: { delayMs: 100 } });
    const path = freshPath('never');
    await client.messages.create({ from: OUR_NUMBER, to: customer(), body: 'x', statusCallback: receiver.url(path) });
    const started = Date.now();
    await local.close();
    assert.ok(Date.now() - started < 1_000, 'close() did not wait for the pending callbacks');
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(receiver.at(path).length, 0);
    assert.deepEqual(local.messages().map((m) => m.status), ['queued'], 'no step ran after close');
  });
});

// --- configuration APIs -------------------------------------------------------------------------

describe('Content API, Messaging Service and WhatsApp senders', () => {
  test('templates: Content and ContentAndApprovals page with meta.next_page_url; fetch one; added templates appear', async (t) => {
    const { local, client } = await startLocal(t);
    const added = local.addTemplate({ friendlyName: 'cita_cancelada', language: 'es', category: 'UTILITY', approval: 'approved', body: 'Hola {{1}}, su cita fue cancelada.', variables: { 1: 'Ana' } });
    const contents = await client.content.v1.contents.list({ pageSize: 2 });
    assert.equal(contents.length, 10, '9 seeded + 1 added, across 5 pages');
    assert.equal(new Set(contents.map((c) => c.sid)).size, 10);
    assert.ok(contents.every((c) => c.language === 'es' && /^HX[0-9a-f]{32}$/.test(c.sid)), 'Spanish templates with HX SIDs');
    const reminder = contents.find((c) => c.friendlyName === 'recordatorio_examen')!;
    assert.equal((reminder.types as Record<string, { body: string }>)['twilio/text']!.body, 'Hola {{1}}, le recordamos su examen ocupacional el {{2}} a las {{3}}.');
    assert.deepEqual(Object.keys(reminder.variables), ['1', '2', '3']);

    const approvals = await client.content.v1.contentAndApprovals.list({ pageSize: 4 });
    assert.equal(approvals.length, 10);
    const verdicts = Object.fromEntries(approvals.map((c) => [c.friendlyName, (c.approvalRequests as { whatsapp: { status: string; name: string; category: string } }).whatsapp]));
    assert.equal(verdicts.recordatorio_examen!.status, 'approved');
    assert.equal(verdicts.recordatorio_examen!.category, 'UTILITY');
    assert.equal(verdicts.jornada_empresarial!.status, 'pending');
    assert.equal(verdicts.cita_cancelada!.name, 'cita_cancelada');
    // One of each rich type WhatsApp takes, as Twilio lists them, its WhatsApp verdict naming the type.
    const card = contents.find((c) => c.friendlyName === 'jornada_salud')!;
    assert.deepEqual(Object.keys(card.types), ['twilio/card']);
    assert.equal((verdicts.jornada_salud as unknown as { content_type: string }).content_type, 'twilio/card');

    const one = await client.content.v1.contents(added.sid).fetch();
    assert.equal(one.friendlyName, 'cita_cancelada');
    assert.equal((await rejection(client.content.v1.contents('HX' + hex(16)).fetch())).status, 404);
  });

  test('updating the service\'s StatusCallback changes where its messages\' default callbacks go', async (t) => {
    const oldPath = freshPath('service-old');
    const newPath = freshPath('service-new');
    const { local, client } = await startLocal(t, { enforceWindow: false, statusCallbackUrl: receiver.url(oldPath), lifecycle: { delayMs: 5, statuses: ['sent'] } });
    const service = await client.messaging.v1.services(local.messagingServiceSid).fetch();
    assert.equal(service.statusCallback, receiver.url(oldPath));

    await local.simulateExternalSend({ to: customer(), body: 'antes', viaService: true });
    await local.idle();
    assert.equal(receiver.at(oldPath).length, 2, 'queued + sent');

    const updated = await client.messaging.v1.services(local.messagingServiceSid).update({ statusCallback: receiver.url(newPath), inboundRequestUrl: receiver.url(newPath + '/in'), friendlyName: 'Clínica' });
    assert.equal(updated.statusCallback, receiver.url(newPath));
    assert.equal(updated.inboundRequestUrl, receiver.url(newPath + '/in'));
    assert.equal(updated.friendlyName, 'Clínica');
    const { sid } = await local.simulateExternalSend({ to: customer(), body: 'después', viaService: true });
    await local.idle();
    assert.equal(receiver.at(oldPath).length, 2, 'nothing more at the old URL');
    assert.deepEqual(receiver.at(newPath).filter((r) => r.params.MessageSid === sid).map((r) => r.params.MessageStatus), ['queued', 'sent']);
    assert.equal((await local.simulateInbound({ from: customer(), body: 'hola' })).status, 200);
    assert.equal(receiver.at(newPath + '/in').length, 1, 'inbound goes to the service\'s InboundRequestUrl');
  });

  test('WhatsApp senders: list, fetch, update the webhook (snake_case JSON); the sender\'s URLs take effect', async (t) => {
    const { local, client } = await startLocal(t, { enforceWindow: false, lifecycle: { delayMs: 5, statuses: ['sent'] } });
    const senders = await client.messaging.v2.channelsSenders.list({ channel: 'whatsapp' });
    assert.equal(senders.length, 1);
    assert.equal(senders[0]!.senderId, OUR_NUMBER);
    assert.equal(senders[0]!.sid, local.whatsappSenderSid);
    assert.equal(senders[0]!.webhook?.statusCallbackUrl, null);

    const statusPath = freshPath('sender-status');
    const inboundPath = freshPath('sender-inbound');
    const updated = await client.messaging.v2.channelsSenders(local.whatsappSenderSid).update({
      webhook: { callback_url: receiver.url(inboundPath), callback_method: 'POST', status_callback_url: receiver.url(statusPath), status_callback_method: 'POST' },
    } as never);
    assert.equal(updated.webhook?.callbackUrl, receiver.url(inboundPath));
    assert.equal(updated.webhook?.statusCallbackUrl, receiver.url(statusPath));
    assert.equal((await client.messaging.v2.channelsSenders(local.whatsappSenderSid).fetch()).webhook?.statusCallbackUrl, receiver.url(statusPath));

    const { sid } = await local.simulateExternalSend({ to: customer(), body: 'desde el sitio web' });
    await local.idle();
    assert.deepEqual(receiver.at(statusPath).map((r) => [r.params.MessageSid, r.params.MessageStatus]), [[sid, 'sent']]);
    const inbound = await local.simulateInbound({ from: customer(), body: 'hola' });
    assert.equal(inbound.status, 200);
    assert.equal(receiver.at(inboundPath)[0]!.params.MessageSid, inbound.sid);
  });
});

// --- inbound --------------------------------------------------------------------------------------

describe('inbound messages', () => {
  test('simulateInbound posts the signed webhook with WhatsApp\'s fields; the media URL serves bytes only with basic auth', async (t) => {
    const path = freshPath('incoming');
    const { local, client } = await startLocal(t, { inboundUrl: receiver.url(path) });
    const from = customer();
    const result = await local.simulateInbound({ from, body: 'Adjunto la orden', profileName: 'Ana Pérez', media: [{ url: 'https://example.com/orden.png', contentType: 'image/png' }] });
    assert.equal(result.status, 200, 'what our server answered');
    assert.match(result.sid, /^MM[0-9a-f]{32}$/);
    const [hook] = receiver.at(path);
    assert.ok(hook!.signatureValid, 'the inbound signature verifies');
    const p = hook!.params;
    assert.equal(p.MessageSid, result.sid);
    assert.equal(p.SmsMessageSid, result.sid);
    assert.equal(p.AccountSid, ACCOUNT_SID);
    assert.equal(p.MessagingServiceSid, local.messagingServiceSid);
    assert.equal(p.From, from);
    assert.equal(p.To, OUR_NUMBER);
    assert.equal(p.Body, 'Adjunto la orden');
    assert.equal(p.ProfileName, 'Ana Pérez');
    assert.equal(p.WaId, from.replace('whatsapp:+', ''));
    assert.equal(p.SmsStatus, 'received');
    assert.equal(p.ApiVersion, '2010-04-01');
    assert.equal(p.NumMedia, '1');
    assert.equal(p.MessageType, 'image');
    assert.equal(p.MediaContentType0, 'image/png');
    assert.ok(p.MediaUrl0!.startsWith(`${local.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${result.sid}/Media/ME`), p.MediaUrl0);

    assert.equal((await fetch(p.MediaUrl0!)).status, 401);
    const media = await fetch(p.MediaUrl0!, { headers: { authorization: basicAuth } });
    assert.equal(media.status, 200);
    assert.equal(media.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await media.arrayBuffer()).subarray(0, 4), PNG_SIGNATURE);
    const wrong = await fetch(p.MediaUrl0!, { headers: { authorization: 'Basic ' + Buffer.from(`${ACCOUNT_SID}:${hex(16)}`).toString('base64') } });
    assert.equal(wrong.status, 401);

    const stored = await client.messages(result.sid).fetch();
    assert.equal(stored.direction, 'inbound');
    assert.equal(stored.numMedia, '1');
  });

  test('buttons, locations, replies and data: media are described as WhatsApp does', async (t) => {
    const path = freshPath('incoming-kinds');
    const { local } = await startLocal(t, { inboundUrl: receiver.url(path), enforceWindow: false, lifecycle: { statuses: [] } });
    const from = customer();
    const ours = await local.simulateExternalSend({ to: from, body: '¿Confirma su cita?' });
    await local.simulateInbound({ from, body: 'Sí', buttonPayload: 'CONFIRMAR', buttonText: 'Sí', repliedToSid: ours.sid });
    await local.simulateInbound({ from, latitude: 4.6533, longitude: -74.0836 });
    const pdf = await local.simulateInbound({ from, media: [{ url: `data:application/pdf;base64,${Buffer.from('%PDF-test').toString('base64')}`, contentType: 'application/pdf' }] });
    const [button, location, document] = receiver.at(path);
    assert.deepEqual([button!.params.MessageType, button!.params.ButtonPayload, button!.params.ButtonText, button!.params.OriginalRepliedMessageSid, button!.params.OriginalRepliedMessageSender], ['button', 'CONFIRMAR', 'Sí', ours.sid, OUR_NUMBER]);
    assert.deepEqual([location!.params.MessageType, location!.params.Latitude, location!.params.Longitude, location!.params.NumMedia], ['location', '4.6533', '-74.0836', '0']);
    assert.equal(document!.params.MessageType, 'document');
    const bytes = await fetch(document!.params.MediaUrl0!, { headers: { authorization: basicAuth } });
    assert.equal(Buffer.from(await bytes.arrayBuffer()).toString(), '%PDF-test');
    assert.equal(local.messages().find((m) => m.sid === pdf.sid)!.direction, 'inbound');
    await assert.rejects(local.simulateInbound({ from: '+573001234567', body: 'sin prefijo' }), /Invalid 'From'/);
  });
});

// --- the control API and the standalone CLI ----------------------------------------------------------

describe('control API and CLI', () => {
  test('/_local/ routes drive the local Twilio over HTTP, with the same basic auth', async (t) => {
    const path = freshPath('control');
    const { local, client } = await startLocal(t);
    const call = (method: string, route: string, body?: unknown, auth = basicAuth) =>
      fetch(`${local.url}/_local/${route}`, { method, headers: { authorization: auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

    assert.equal((await call('GET', 'messages', undefined, 'Basic eDp5')).status, 401);
    assert.equal((await call('PUT', 'webhooks', { statusCallbackUrl: receiver.url(`${path}/status`), inboundUrl: receiver.url(`${path}/in`) })).status, 200);
    assert.equal((await call('PUT', 'lifecycle', { delayMs: 5, statuses: ['sent'] })).status, 200);
    const from = customer();
    const inbound = await call('POST', 'inbound', { from, body: 'hola' });
    assert.deepEqual(Object.keys((await inbound.json()) as object).sort(), ['sid', 'status']);
    assert.equal(receiver.at(`${path}/in`).length, 1);
    const sent = (await (await call('POST', 'external-send', { to: from, body: 'respuesta' })).json()) as { sid: string };
    await local.idle();
    assert.deepEqual(receiver.at(`${path}/status`).map((r) => [r.params.MessageSid, r.params.MessageStatus]), [[sent.sid, 'sent']]);

    assert.equal((await call('PUT', 'fault', { status: 500 })).status, 200);
    assert.equal((await rejection(client.messages.list())).status, 500);
    assert.equal((await call('GET', 'messages')).status, 200, 'faults never hit the control API');
    await call('PUT', 'fault', null);
    const listed = (await (await call('GET', 'messages')).json()) as { messages: { sid: string; direction: string }[] };
    assert.deepEqual(listed.messages.map((m) => m.direction), ['inbound', 'outbound-api']);
    assert.equal((await client.messages.list()).length, 2);
  });

  test('main.ts runs it standalone from the environment and stops cleanly on SIGTERM; bad env exits 1', async () => {
    const main = fileURLToPath(new URL('../src/twilio/local/main.ts', import.meta.url));
    const env = { ...process.env, LOCAL_TWILIO_PORT: '0', TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, STATUS_CALLBACK_URL: receiver.url('/cli/status'), INBOUND_URL: receiver.url('/cli/in') };
    const child = spawn(process.execPath, ['--import', 'tsx', main], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start line: ${out}`)), 10_000);
      child.stdout.on('data', () => {
        const m = out.match(/Local Twilio at (http:\/\/\S+)/);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    assert.doesNotMatch(out, new RegExp(AUTH_TOKEN), 'a token given in the env is never printed');
    const inbound = await fetch(`${url}/_local/inbound`, { method: 'POST', headers: { authorization: basicAuth, 'content-type': 'application/json' }, body: JSON.stringify({ from: customer(), body: 'hola' }) });
    assert.equal(((await inbound.json()) as { status: number }).status, 200);
    assert.equal(receiver.at('/cli/in').length, 1);
    assert.ok(receiver.at('/cli/in')[0]!.signatureValid, 'signed with the token from the env');
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exit, 0);

    const bad = spawn(process.execPath, ['--import', 'tsx', main], { env: { ...env, LOCAL_TWILIO_PORT: 'nope', TWILIO_ACCOUNT_SID: 'bad' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    bad.stderr.on('data', (c) => (err += c));
    assert.equal(await new Promise((resolve) => bad.once('exit', resolve)), 1);
    assert.match(err, /LOCAL_TWILIO_PORT/);
    assert.match(err, /TWILIO_ACCOUNT_SID/);
  });
});

test('many webhook posts in flight at once (a campaign) share one abort signal without a MaxListeners warning', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  // A webhook target that answers slowly, so all 40 posts are in flight together.
  const sink = createServer((_req, res) => setTimeout(() => res.writeHead(204).end(), 200));
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const { port } = sink.address() as { port: number };
  const local = await startLocalTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, port: 0, whatsappFrom: OUR_NUMBER, inboundUrl: `http://127.0.0.1:${port}/in` });
  try {
    const sent = await Promise.all(Array.from({ length: 40 }, () => local.simulateInbound({ from: customer(), body: 'Hola' })));
    assert.deepEqual(sent.map((s) => s.status), Array(40).fill(204));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(warnings.filter((w) => w === 'MaxListenersExceededWarning'), []);
  } finally {
    process.off('warning', onWarning);
    await local.close();
    await new Promise((resolve) => sink.close(resolve));
  }
});
