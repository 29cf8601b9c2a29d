import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';
import { runCli } from '../src/cli/main.ts';
import { configureEventStreams } from '../src/cli/configure.ts';
import { loadConfig } from '../src/config/env.ts';
import { EVENTS_PATH } from '../src/http/routes/twilio-events.ts';
import { INBOUND_EVENT_TYPE, LAST_EVENT_CHECKPOINT, MESSAGING_EVENT_TYPES } from '../src/messages/event-streams.ts';
import { checkpointRepository } from '../src/db/settings-repository.ts';
import { databaseKinds } from './support/databases.ts';
import { freePort, newSid, OUR_NUMBER, startTestInbox, waitFor, type TestInbox } from './support/inbox.ts';
import { record } from './support/realtime.ts';

const ACCOUNT = 'AC' + '0'.repeat(32);

function outboundEvent(sid: string, status: string, o: { to?: string; from?: string; body?: string; errorCode?: number; time?: string } = {}) {
  return {
    specversion: '1.0',
    type: `com.twilio.messaging.message.${status}`,
    source: `/2010-04-01/Accounts/${ACCOUNT}/Messages/${sid}.json`,
    id: 'EZ' + createHash('md5').update(sid + status).digest('hex'),
    dataschema: 'https://events-schemas.twilio.com/Messaging.MessageStatus/8',
    datacontenttype: 'application/json',
    time: o.time ?? new Date().toISOString(),
    data: {
      messageSid: sid, timestamp: o.time ?? new Date().toISOString(), accountSid: ACCOUNT, eventName: `com.twilio.messaging.message.${status}`,
      apiVersion: '2010-04-01', from: o.from ?? OUR_NUMBER, to: o.to ?? 'whatsapp:+573001230001', messageStatus: status.toUpperCase(),
      ...(o.body !== undefined ? { body: o.body } : {}),
      ...(o.errorCode ? { errorCode: o.errorCode } : {}),
    },
  };
}

function inboundEvent(sid: string, from: string, body: string) {
  return {
    specversion: '1.0', type: INBOUND_EVENT_TYPE, source: `/2010-04-01/Accounts/${ACCOUNT}/Messages/${sid}.json`, id: 'EZ' + sid.slice(2),
    dataschema: 'https://events-schemas.twilio.com/Messaging.InboundMessageV1/1', datacontenttype: 'application/json', time: new Date().toISOString(),
    data: { numMedia: 0, timestamp: new Date().toISOString(), accountSid: ACCOUNT, to: OUR_NUMBER, numSegments: 1, messageSid: sid, eventName: INBOUND_EVENT_TYPE, body, from },
  };
}

/** Posts a delivery as Event Streams does: the body's SHA-256 in the URL, the URL signed alone. */
async function deliver(inbox: TestInbox, events: unknown, o: { signature?: string | null; auth?: string; rawBody?: string; token?: string } = {}) {
  const body = o.rawBody ?? JSON.stringify(events);
  const url = `${inbox.baseUrl}${EVENTS_PATH}?bodySHA256=${createHash('sha256').update(body).digest('hex')}`;
  const signature = o.signature === undefined ? twilio.getExpectedTwilioSignature(o.token ?? inbox.authToken, url, {}) : o.signature;
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(signature ? { 'x-twilio-signature': signature } : {}),
      ...(o.auth ? { authorization: `Basic ${Buffer.from(o.auth).toString('base64')}` } : {}),
    },
    body,
  });
}

async function rowsFor(inbox: TestInbox, sid: string) {
  const { rows } = await inbox.db.query<{ id: string; status: string; source: string; direction: string; captured_via: string; body: string | null; body_pending: boolean; read_at: Date | null }>(
    'SELECT id, status, source, direction, captured_via, body, body_pending, read_at FROM messages WHERE sid = $1', [sid],
  );
  return rows;
}

const messageCount = async (inbox: TestInbox) => Number((await inbox.db.query<{ n: string }>('SELECT count(*) AS n FROM messages')).rows[0]!.n);

for (const kind of databaseKinds()) {
  describe(`Event Streams intake (${kind})`, () => {
    let inbox: TestInbox;
    before(async () => {
      inbox = await startTestInbox({ kind, startWorkers: false });
    });
    after(() => inbox.close());

    test('sent, delivered, read of a new SID: one outside row with the text, no fetch, seen live', async () => {
      const { cookie } = await inbox.login();
      const received = record(await inbox.connectSocket(cookie));
      const sid = newSid();
      const to = 'whatsapp:+573001230101';
      let res = await deliver(inbox, [outboundEvent(sid, 'sent', { to, body: 'Su cita es el lunes' })]);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { recorded: 1, ignored: 0 });
      let rows = await rowsFor(inbox, sid);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.source, 'external');
      assert.equal(rows[0]!.direction, 'outbound');
      assert.equal(rows[0]!.captured_via, 'event_stream');
      assert.equal(rows[0]!.body, 'Su cita es el lunes');
      assert.equal(rows[0]!.body_pending, false);
      const jobs = await inbox.db.query('SELECT * FROM jobs WHERE message_id = $1', [rows[0]!.id]);
      assert.equal(jobs.rows.length, 0, 'no fetch of the text is queued');
      res = await deliver(inbox, [outboundEvent(sid, 'delivered', { to, body: 'Su cita es el lunes' }), outboundEvent(sid, 'read', { to, body: 'Su cita es el lunes' })]);
      assert.equal(res.status, 200);
      rows = await rowsFor(inbox, sid);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.status, 'read');
      assert.ok(rows[0]!.read_at);
      const seen = await waitFor(() => {
        const c = received.conversationOf(sid);
        return c?.lastMessage?.status === 'read' ? c : undefined;
      }, 'the panel socket sees the message reach read');
      assert.equal(seen.lastMessage?.body, 'Su cita es el lunes');
      assert.equal(seen.contact.phone, '+573001230101');
    });

    test('a replayed delivery and one out of order change nothing twice and never go backwards', async () => {
      const sid = newSid();
      const events = [outboundEvent(sid, 'read', { body: 'hola' }), outboundEvent(sid, 'sent', { body: 'hola' }), outboundEvent(sid, 'delivered', { body: 'hola' })];
      assert.equal((await deliver(inbox, events)).status, 200);
      const first = await rowsFor(inbox, sid);
      const before = await messageCount(inbox);
      assert.equal((await deliver(inbox, events)).status, 200);
      assert.equal((await deliver(inbox, [outboundEvent(sid, 'sent', { body: 'hola' })])).status, 200);
      const again = await rowsFor(inbox, sid);
      assert.equal(again.length, 1);
      assert.equal(again[0]!.status, 'read');
      assert.deepEqual(again[0]!.read_at, first[0]!.read_at);
      assert.equal(await messageCount(inbox), before);
    });

    test('failed is final', async () => {
      const sid = newSid();
      assert.equal((await deliver(inbox, [outboundEvent(sid, 'failed', { body: 'x', errorCode: 63016 })])).status, 200);
      assert.equal((await deliver(inbox, [outboundEvent(sid, 'delivered', { body: 'x' }), outboundEvent(sid, 'read', { body: 'x' })])).status, 200);
      const rows = await rowsFor(inbox, sid);
      assert.equal(rows[0]!.status, 'failed');
      const { rows: [row] } = await inbox.db.query<{ error_code: number }>('SELECT error_code FROM messages WHERE sid = $1', [sid]);
      assert.equal(row!.error_code, 63016);
    });

    test('an inbound event and the same message through the inbound webhook give one row', async () => {
      const sid = newSid();
      const from = 'whatsapp:+573001230202';
      const webhook = await inbox.postSigned('/api/whatsapp/incoming', { MessageSid: sid, From: from, To: OUR_NUMBER, Body: 'Buenos días', NumMedia: '0' });
      assert.equal(webhook.status, 200);
      assert.equal((await deliver(inbox, [inboundEvent(sid, from, 'Buenos días')])).status, 200);
      let rows = await rowsFor(inbox, sid);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.captured_via, 'webhook');
      // And the other way round: the event first.
      const sid2 = newSid();
      assert.equal((await deliver(inbox, [inboundEvent(sid2, from, 'Gracias')])).status, 200);
      await inbox.postSigned('/api/whatsapp/incoming', { MessageSid: sid2, From: from, To: OUR_NUMBER, Body: 'Gracias', NumMedia: '0' });
      rows = await rowsFor(inbox, sid2);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.direction, 'inbound');
      assert.equal(rows[0]!.captured_via, 'event_stream');
      assert.equal(rows[0]!.body, 'Gracias');
    });

    test('a wrong, missing or foreign signature, or a body changed after signing, is 403 and stores nothing', async () => {
      const before = await messageCount(inbox);
      const events = [outboundEvent(newSid(), 'sent', { body: 'forged' })];
      assert.equal((await deliver(inbox, events, { signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' })).status, 403);
      assert.equal((await deliver(inbox, events, { signature: null })).status, 403);
      assert.equal((await deliver(inbox, events, { token: 'f'.repeat(32) })).status, 403);
      // Signed for one body, another sent: the body's hash no longer matches the signed URL.
      const body = JSON.stringify(events);
      const url = `${inbox.baseUrl}${EVENTS_PATH}?bodySHA256=${createHash('sha256').update(body).digest('hex')}`;
      const res = await fetch(url, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-twilio-signature': twilio.getExpectedTwilioSignature(inbox.authToken, url, {}) },
        body: JSON.stringify([outboundEvent(newSid(), 'sent', { body: 'swapped' })]),
      });
      assert.equal(res.status, 403);
      // Signed without the body's hash in the URL: the body would be unsigned.
      const bare = `${inbox.baseUrl}${EVENTS_PATH}`;
      const res2 = await fetch(bare, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-twilio-signature': twilio.getExpectedTwilioSignature(inbox.authToken, bare, {}) }, body,
      });
      assert.equal(res2.status, 403);
      assert.equal(await messageCount(inbox), before);
    });

    test('malformed is 400, unknown types are ignored with 200, SMS and other senders are not recorded', async () => {
      const before = await messageCount(inbox);
      assert.equal((await deliver(inbox, { not: 'an array' })).status, 400);
      assert.equal((await deliver(inbox, null, { rawBody: '[{"type": ' })).status, 400);
      const good = outboundEvent(newSid(), 'sent', { body: 'ok' });
      assert.equal((await deliver(inbox, [good, { type: 'com.twilio.messaging.message.sent', data: { messageSid: 'nope' } }])).status, 400);
      assert.equal(await messageCount(inbox), before, 'a malformed delivery records none of its events');
      const sid = newSid();
      const res = await deliver(inbox, [
        { specversion: '1.0', type: 'com.twilio.voice.status-callback.call.ringing', id: 'EZ1', data: { callSid: 'CA1' } },
        outboundEvent(sid, 'sent', { body: 'kept' }),
        outboundEvent(newSid(), 'sent', { to: '+573001230303', from: '+14155550100', body: 'an SMS' }),
        outboundEvent(newSid(), 'sent', { from: 'whatsapp:+14155550199', body: 'another sender' }),
      ]);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { recorded: 1, ignored: 3 });
      assert.equal(await messageCount(inbox), before + 1);
      assert.equal((await rowsFor(inbox, sid)).length, 1);
    });

    test('over a megabyte is 413; GET is 405; the last event is noted for doctor', async () => {
      const big = JSON.stringify([outboundEvent(newSid(), 'sent', { body: 'x'.repeat(9_000) })]).padEnd(1024 * 1024 + 10, ' ');
      assert.equal((await deliver(inbox, null, { rawBody: big })).status, 413);
      const get = await fetch(inbox.baseUrl + EVENTS_PATH);
      assert.equal(get.status, 405);
      assert.equal(get.headers.get('allow'), 'POST');
      const noted = await waitFor(() => checkpointRepository.get(inbox.db, LAST_EVENT_CHECKPOINT), 'the last event noted');
      assert.match(JSON.parse(noted!.value).type, /^com\.twilio\.messaging\./);
    });
  });

  describe(`Event Streams sink with basic auth (${kind})`, () => {
    let inbox: TestInbox;
    const user = 'twilio-events';
    const password = 'a-sink-password-of-length';
    before(async () => {
      inbox = await startTestInbox({ kind, startWorkers: false, env: { EVENT_STREAMS_USER: user, EVENT_STREAMS_PASSWORD: password } });
    });
    after(() => inbox.close());

    test('the credentials are required, and a signature over the URL with or without them is accepted', async () => {
      const before = await messageCount(inbox);
      const events = [outboundEvent(newSid(), 'sent', { body: 'a' })];
      assert.equal((await deliver(inbox, events)).status, 403, 'no credentials');
      assert.equal((await deliver(inbox, events, { auth: `${user}:wrong-password-of-length` })).status, 403, 'wrong password');
      assert.equal(await messageCount(inbox), before);
      assert.equal((await deliver(inbox, events, { auth: `${user}:${password}` })).status, 200);
      // Signed over the URL as the sink holds it, credentials included.
      const body = JSON.stringify([outboundEvent(newSid(), 'sent', { body: 'b' })]);
      const path = `${EVENTS_PATH}?bodySHA256=${createHash('sha256').update(body).digest('hex')}`;
      const withCredentials = inbox.baseUrl.replace('://', `://${user}:${password}@`) + path;
      const res = await fetch(inbox.baseUrl + path, {
        method: 'POST',
        headers: {
          'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
          'x-twilio-signature': twilio.getExpectedTwilioSignature(inbox.authToken, withCredentials, {}),
        },
        body,
      });
      assert.equal(res.status, 200);
      assert.equal(await messageCount(inbox), before + 2);
    });

    test('configure puts the credentials in the sink URL (never printed); the local Twilio delivers with them as basic auth', async () => {
      const env = {
        BASE_URL: inbox.baseUrl, TWILIO_ACCOUNT_SID: inbox.accountSid, TWILIO_AUTH_TOKEN: inbox.authToken, TWILIO_WHATSAPP_FROM: OUR_NUMBER,
        TWILIO_API_URL: inbox.local.url, EVENT_STREAMS_USER: user, EVENT_STREAMS_PASSWORD: password,
      };
      const changes = await configureEventStreams(loadConfig(env), inbox.ctx.twilio, { dryRun: false });
      assert.ok(changes.every((c) => !`${c.before} ${c.after}`.includes(password)), 'the password is not shown');
      const [sink] = inbox.local.eventStreams().sinks;
      assert.equal(sink!.configuration.destination, inbox.baseUrl.replace('://', `://${user}:${password}@`) + EVENTS_PATH);
      const customer = 'whatsapp:+573001238888';
      await inbox.local.simulateInbound({ from: customer, body: 'hola' });
      const { sid } = await inbox.local.simulateExternalSend({ to: customer, body: 'Con credenciales', statusCallback: `http://127.0.0.1:${await freePort()}/x` });
      const row = await waitFor(async () => (await rowsFor(inbox, sid)).find((r) => r.status === 'read'), 'the outside message reaches read through the sink', 20_000);
      assert.equal(row.captured_via, 'event_stream');
      assert.equal(row.body, 'Con credenciales');
    });
  });
}

for (const kind of databaseKinds()) {
  describe(`Event Streams end to end through the local Twilio (${kind})`, () => {
    let inbox: TestInbox;
    let env: NodeJS.ProcessEnv;
    before(async () => {
      inbox = await startTestInbox({ kind, startWorkers: false });
      env = {
        BASE_URL: inbox.baseUrl, TWILIO_ACCOUNT_SID: inbox.accountSid, TWILIO_AUTH_TOKEN: inbox.authToken, TWILIO_WHATSAPP_FROM: OUR_NUMBER,
        TWILIO_API_URL: inbox.local.url, LOG_LEVEL: 'silent', ...(inbox.databaseUrl ? { DATABASE_URL: inbox.databaseUrl } : {}),
      };
    });
    after(() => inbox.close());

    test('configure --event-streams twice: one sink, one subscription; a message sent from outside with a foreign StatusCallback appears live and reaches read', async () => {
      // On PostgreSQL through the CLI itself; PGlite's test database is private to this process, so
      // there the function the CLI runs is called directly.
      const configure = async () => {
        if (kind === 'postgres') {
          const lines: string[] = [];
          assert.equal(await runCli(['configure', '--event-streams'], (l) => lines.push(l), env), 0);
          return lines.join('\n');
        }
        const changes = await configureEventStreams(loadConfig(env), inbox.ctx.twilio, { dryRun: false });
        return changes.map((c) => `${c.target} ${c.field} ${c.changed ? '(changed)' : '(already set)'}`).join('\n');
      };
      const dry = await configureEventStreams(loadConfig(env), inbox.ctx.twilio, { dryRun: true });
      assert.ok(dry.every((c) => c.changed), 'a dry run says what it would create');
      assert.equal(inbox.local.eventStreams().sinks.length, 0, 'and creates nothing');
      const first = await configure();
      assert.match(first, /\(changed\)/);
      const second = await configure();
      assert.doesNotMatch(second, /\(changed\)/, 'a second run changes nothing');
      const { sinks, subscriptions } = inbox.local.eventStreams();
      assert.equal(sinks.length, 1);
      assert.equal(sinks[0]!.configuration.destination, `${inbox.baseUrl}${EVENTS_PATH}`);
      assert.equal(subscriptions.length, 1);
      assert.deepEqual(subscriptions[0]!.types.map((t) => t.type).sort(), [...MESSAGING_EVENT_TYPES].sort());

      const { cookie } = await inbox.login();
      const received = record(await inbox.connectSocket(cookie));
      const customer = 'whatsapp:+573001239999';
      // The customer writes first (the 24-hour window opens); the webhook and the event both carry it.
      const inbound = await inbox.local.simulateInbound({ from: customer, body: 'Hola, ¿mi examen?' });
      await inbox.local.idle();
      assert.equal((await rowsFor(inbox, inbound.sid)).length, 1, 'the inbound message once, from the webhook and the event');

      // An outside system sends with its own StatusCallback, at a port where nothing listens.
      const foreign = `http://127.0.0.1:${await freePort()}/their/status`;
      const { sid } = await inbox.local.simulateExternalSend({ to: customer, body: 'Su examen está listo', statusCallback: foreign });
      const seen = await waitFor(() => {
        const c = received.conversationOf(sid);
        return c?.lastMessage?.status === 'read' ? c : undefined;
      }, 'the outside message reaches read on the panel socket', 20_000);
      assert.equal(seen.lastMessage?.body, 'Su examen está listo');
      const rows = await rowsFor(inbox, sid);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.source, 'external');
      assert.equal(rows[0]!.captured_via, 'event_stream');
      assert.equal(rows[0]!.body_pending, false);
      await inbox.local.idle();
      const log = inbox.local.callbacks();
      assert.ok(log.some((c) => c.url === foreign && c.status === null), 'its status callbacks went to the foreign URL, and nobody answered');
      assert.ok(log.filter((c) => c.url.includes(EVENTS_PATH) && c.params.MessageSid === sid).every((c) => c.status === 200));

      if (kind === 'postgres') {
        const lines: string[] = [];
        await runCli(['doctor'], (l) => lines.push(l), env);
        const text = lines.join('\n');
        assert.match(text, new RegExp(`event streams sink: ${sinks[0]!.sid} active`));
        assert.match(text, /last event streams event: com\.twilio\.messaging\.[a-z.-]+ received/);
      }
    });
  });
}
