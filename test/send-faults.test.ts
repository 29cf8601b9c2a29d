// Twilio's API slow or failing while an agent sends from the panel: every send answers a clear
// error in bounded time, the message row says what happened, the server keeps serving, and a send
// whose answer was lost is settled by its callback (or given up on), never sent twice blindly.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApp, type App } from '../src/app.ts';
import { ensureFirstAdmin } from '../src/auth/users.ts';
import { loadConfig } from '../src/config/env.ts';
import type { Database } from '../src/db/database.ts';
import type { ApiError, MessageDto } from '../src/contract/api.ts';
import { SEND_NOTES } from '../src/contract/twilio-error-texts.ts';
import { createTwilioGateway } from '../src/twilio/gateway.ts';
import { rateLimitWaitMs } from '../src/twilio/http-client.ts';
import { startLocalTwilio, type LocalTwilio } from '../src/twilio/local/server.ts';
import { databaseKinds, openTestDatabase, type DatabaseKind } from './support/databases.ts';
import { ADMIN, freePort, hex, OUR_NUMBER, waitFor } from './support/inbox.ts';

const SEND_PATH = '/Messages.json';
// Generous: nothing here should come near it, but a hang must fail the test, not stall the run.
const TEST_TIMEOUT = { timeout: 90_000 };

interface FaultInbox {
  db: Database;
  local: LocalTwilio;
  baseUrl: string;
  /** The panel's session: cookie, and the CSRF token when the server hands one out. */
  headers: Record<string, string>;
  close(): Promise<void>;
}

/** A server on `kind` with its Twilio timeouts set through the environment, as an operator would. */
async function startInbox(kind: DatabaseKind, env: { TWILIO_REQUEST_TIMEOUT_MS: string; UNCONFIRMED_SEND_TIMEOUT?: string }): Promise<FaultInbox> {
  const database = await openTestDatabase(kind);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const accountSid = 'AC' + hex(16);
  const authToken = hex(16);
  const local = await startLocalTwilio({
    accountSid, authToken, whatsappFrom: OUR_NUMBER,
    statusCallbackUrl: `${baseUrl}/api/whatsapp/status`, inboundUrl: `${baseUrl}/api/whatsapp/incoming`,
    lifecycle: { delayMs: 20 },
  });
  const config = loadConfig({
    PORT: String(port), BASE_URL: baseUrl, TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken, TWILIO_WHATSAPP_FROM: OUR_NUMBER,
    TWILIO_API_URL: local.url, LOG_LEVEL: process.env.WA_TEST_LOG_LEVEL ?? 'silent', RECONCILE_INTERVAL: '0',
    ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, SESSION_SECRET: 'a-test-secret-of-enough-length',
    ...env,
  });
  await ensureFirstAdmin(database.db, config.admin);
  const built: App = await buildApp({ config, twilioConfig: config.twilio!, db: database.db, twilio: createTwilioGateway(config.twilio!) });
  await built.app.listen({ port, host: '127.0.0.1' });

  const login = await fetch(`${baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password }) });
  assert.equal(login.status, 200, 'logged in');
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const { csrfToken } = (await login.json()) as { csrfToken?: string };
  return {
    db: database.db, local, baseUrl,
    headers: { cookie, ...(csrfToken ? { 'x-csrf-token': csrfToken } : {}) },
    async close() {
      await built.app.close();
      await local.close();
      await database.close();
    },
  };
}

interface MessageRow { id: string; sid: string | null; status: string; error_code: number | null; error_message: string | null }

async function panelRows(inbox: FaultInbox, conversationId: string): Promise<MessageRow[]> {
  const { rows } = await inbox.db.query<MessageRow>(
    "SELECT id, sid, status, error_code, error_message FROM messages WHERE conversation_id = $1 AND source = 'panel' ORDER BY created_at",
    [conversationId],
  );
  return rows;
}

/** A customer writes first (opening WhatsApp's window, here and at the local Twilio); returns the conversation's id. */
async function customerWrites(inbox: FaultInbox, phone: string): Promise<string> {
  await inbox.local.simulateInbound({ from: `whatsapp:${phone}`, body: 'Buenos días, ¿tienen cita?' });
  return waitFor(async () => {
    const { rows } = await inbox.db.query<{ id: string }>('SELECT c.id FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE k.phone = $1', [phone]);
    return rows[0]?.id;
  }, 'the conversation');
}

async function send(inbox: FaultInbox, conversationId: string, body: string): Promise<{ status: number; json: unknown; ms: number }> {
  const started = Date.now();
  const res = await fetch(`${inbox.baseUrl}/api/conversations/${conversationId}/messages`, {
    method: 'POST', headers: { ...inbox.headers, 'content-type': 'application/json' }, body: JSON.stringify({ body }),
  });
  return { status: res.status, json: await res.json(), ms: Date.now() - started };
}

function assertApiError(json: unknown, code: string): ApiError['error'] {
  const e = (json as ApiError).error;
  assert.ok(e, `an error answer: ${JSON.stringify(json)}`);
  assert.equal(e.code, code);
  assert.ok(e.message && e.messageEs && e.message !== e.messageEs, 'the reason in English and in Spanish');
  return e;
}

test('Retry-After in seconds or as a date; without it a short backoff', () => {
  assert.equal(rateLimitWaitMs('2', 0), 2000);
  assert.equal(rateLimitWaitMs(['1.5'], 0), 1500);
  const now = Date.parse('2026-11-28T10:00:00Z');
  assert.equal(rateLimitWaitMs('Sat, 28 Nov 2026 10:00:03 GMT', 0, now), 3000);
  for (const retry of [0, 1]) {
    const ms = rateLimitWaitMs(undefined, retry);
    assert.ok(ms >= 125 * 2 ** retry && ms <= 250 * 2 ** retry, `backoff ${ms} ms for retry ${retry}`);
  }
});

test('a send is never given up on while its answer may still come: UNCONFIRMED_SEND_TIMEOUT must be longer than the request timeout', () => {
  const base = { TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32), TWILIO_AUTH_TOKEN: 'b'.repeat(32), TWILIO_WHATSAPP_FROM: OUR_NUMBER };
  assert.throws(() => loadConfig({ ...base, TWILIO_REQUEST_TIMEOUT_MS: '10000', UNCONFIRMED_SEND_TIMEOUT: '10' }), /UNCONFIRMED_SEND_TIMEOUT/);
  const c = loadConfig(base);
  assert.equal(c.twilio?.requestTimeoutMs, 10_000);
  assert.equal(c.unconfirmedSendSeconds, 600);
});

for (const kind of databaseKinds()) {
  describe(`Twilio slow or failing on sends (${kind})`, () => {
    let inbox: FaultInbox;
    before(async () => {
      // A short request timeout so a hanging Twilio is given up on quickly; no sweep in sight.
      inbox = await startInbox(kind, { TWILIO_REQUEST_TIMEOUT_MS: '3000' });
    });
    after(async () => {
      await inbox?.close();
    });

    test('429 once: Twilio created nothing, so the send is asked again and goes through', TEST_TIMEOUT, async () => {
      const id = await customerWrites(inbox, '+573170000001');
      inbox.local.injectFault({ status: 429, count: 1, pathContains: SEND_PATH });
      const { status, json } = await send(inbox, id, 'Su cita es mañana a las 8');
      assert.equal(status, 201, JSON.stringify(json));
      assert.equal(inbox.local.faultStats().matched, 1, 'the first attempt got the 429');
      const m = json as MessageDto;
      assert.ok(m.sid, 'the retry was accepted: the answer carries the SID');
      assert.equal(inbox.local.messages().filter((x) => x.body === 'Su cita es mañana a las 8').length, 1, 'one message at Twilio');
      const row = await waitFor(async () => (await panelRows(inbox, id)).find((r) => r.status === 'read'), 'the message delivered and read');
      assert.equal(row.sid, m.sid);
      assert.equal(row.error_message, null);
    });

    test('429 that does not stop: retried after Retry-After, then a clear twilio_error; the row is failed with 20429', TEST_TIMEOUT, async () => {
      const id = await customerWrites(inbox, '+573170000002');
      const before = inbox.local.messages().length;
      inbox.local.injectFault({ status: 429, retryAfter: 1, pathContains: SEND_PATH });
      const { status, json, ms } = await send(inbox, id, 'Hola');
      const attempts = inbox.local.faultStats().matched;
      inbox.local.injectFault(null);
      assert.equal(status, 502);
      const e = assertApiError(json, 'twilio_error');
      assert.equal(e.twilioCode, 20429);
      assert.match(e.message, /Twilio is limiting requests, try again in a moment/);
      assert.match(e.messageEs, /Twilio está limitando las solicitudes; intente de nuevo en un momento/);
      assert.ok(attempts >= 2 && attempts <= 3, `asked again before giving up (${attempts} attempts)`);
      assert.ok(ms >= 900, `Retry-After (1 s) was waited for (${ms} ms)`);
      assert.equal(inbox.local.messages().length, before, 'Twilio created nothing');
      const rows = await panelRows(inbox, id);
      assert.deepEqual(rows.map((r) => [r.status, r.error_code, r.sid]), [['failed', 20429, null]]);
    });

    test('429 with a long Retry-After is not waited for: the agent hears it at once', TEST_TIMEOUT, async () => {
      const id = await customerWrites(inbox, '+573170000003');
      inbox.local.injectFault({ status: 429, retryAfter: 120, pathContains: SEND_PATH });
      const { status, json } = await send(inbox, id, 'Hola');
      const attempts = inbox.local.faultStats().matched;
      inbox.local.injectFault(null);
      assert.equal(status, 502);
      assert.equal(assertApiError(json, 'twilio_error').twilioCode, 20429);
      assert.equal(attempts, 1, 'no retry when Twilio asks for a long wait');
      assert.deepEqual((await panelRows(inbox, id)).map((r) => [r.status, r.error_code]), [['failed', 20429]]);
    });

    for (const [httpStatus, code, en, es] of [
      [500, 20500, /internal error and did not send the message/, /error interno y no envió el mensaje/],
      [503, 20503, /unavailable right now and did not send the message/, /no está disponible en este momento/],
    ] as const) {
      test(`${httpStatus}: a clear 502 with Twilio's code ${code}; the row is failed with it; nothing is created`, TEST_TIMEOUT, async () => {
        const id = await customerWrites(inbox, `+57317000${httpStatus}`);
        const before = inbox.local.messages().length;
        inbox.local.injectFault({ status: httpStatus, count: 1, pathContains: SEND_PATH });
        const { status, json } = await send(inbox, id, 'Hola');
        assert.equal(status, 502);
        const e = assertApiError(json, 'twilio_error');
        assert.equal(e.twilioCode, code);
        assert.match(e.message, en);
        assert.match(e.messageEs, es);
        assert.equal(inbox.local.faultStats().matched, 1, 'reported as it is, not asked again');
        assert.equal(inbox.local.messages().length, before);
        assert.deepEqual((await panelRows(inbox, id)).map((r) => [r.status, r.error_code, r.sid]), [['failed', code, null]]);
      });
    }

    test('Twilio hangs past the timeout: 504 twilio_timeout, the row waits queued, the server serves meanwhile; the late message is confirmed by its callback', TEST_TIMEOUT, async () => {
      const id = await customerWrites(inbox, '+573170000004');
      // Held well past the 3 s timeout, then created anyway (as a Twilio that got the request would).
      inbox.local.injectFault({ delayMs: 6_000, count: 1, pathContains: SEND_PATH });
      let answered = false;
      const pending = send(inbox, id, 'Le confirmamos su examen').finally(() => {
        answered = true;
      });
      await waitFor(() => inbox.local.faultStats().held === 1, 'the send reaching the hanging Twilio');
      const health = await fetch(`${inbox.baseUrl}/api/health`);
      const list = await fetch(`${inbox.baseUrl}/api/conversations`, { headers: { cookie: inbox.headers.cookie! } });
      assert.equal(health.status, 200);
      assert.equal(list.status, 200);
      assert.equal(answered, false, 'other requests were served while the send waited for Twilio');

      const { status, json } = await pending;
      assert.equal(status, 504);
      const e = assertApiError(json, 'twilio_timeout');
      assert.match(e.message, /did not answer in time/);
      assert.match(e.message, /Do not send it again/);
      assert.match(e.messageEs, /no respondió a tiempo/);
      assert.match(e.messageEs, /No lo envíe de nuevo/);
      const [waiting] = await panelRows(inbox, id);
      assert.deepEqual([waiting!.status, waiting!.sid, waiting!.error_code, waiting!.error_message], ['queued', null, null, SEND_NOTES.unconfirmed.en], 'not failed: the outcome is unknown');

      // Twilio creates it after all; its callbacks carry our id (?mid=) and settle the row.
      const created = await waitFor(() => inbox.local.messages().find((x) => x.body === 'Le confirmamos su examen'), 'the message created late at Twilio', 20_000);
      assert.equal((created as unknown as { statusCallback: string }).statusCallback, `${inbox.baseUrl}/api/whatsapp/status?mid=${waiting!.id}`);
      const settled = await waitFor(async () => (await panelRows(inbox, id)).find((r) => r.status === 'read'), 'the row confirmed by callbacks', 20_000);
      assert.equal(settled.id, waiting!.id, 'the same row, not a second one');
      assert.equal(settled.sid, created.sid);
      assert.equal(settled.error_message, null, 'the note went with the confirmation');
      const { rows } = await inbox.db.query('SELECT id FROM messages WHERE sid = $1', [created.sid]);
      assert.equal(rows.length, 1, 'one row for the SID');
    });

    test('the connection drops after Twilio created the message: 504, then its callbacks confirm it', TEST_TIMEOUT, async () => {
      const id = await customerWrites(inbox, '+573170000005');
      // Callbacks come a while after the creation, so the lost answer is reported first.
      inbox.local.setLifecycle({ delayMs: 1_500 });
      inbox.local.injectFault({ drop: true, count: 1, pathContains: SEND_PATH });
      try {
        const { status, json } = await send(inbox, id, 'Recuerde traer su documento');
        assert.equal(status, 504, JSON.stringify(json));
        assertApiError(json, 'twilio_timeout');
        const created = inbox.local.messages().find((x) => x.body === 'Recuerde traer su documento');
        assert.ok(created, 'Twilio did create it');
        const settled = await waitFor(async () => (await panelRows(inbox, id)).find((r) => r.status === 'read'), 'the row confirmed by callbacks', 20_000);
        assert.equal(settled.sid, created.sid);
        assert.equal((await panelRows(inbox, id)).length, 1, 'one row');
      } finally {
        inbox.local.setLifecycle({ delayMs: 20 });
      }
    });
  });

  describe(`sends Twilio never confirms are given up on (${kind})`, () => {
    let inbox: FaultInbox;
    before(async () => {
      inbox = await startInbox(kind, { TWILIO_REQUEST_TIMEOUT_MS: '1000', UNCONFIRMED_SEND_TIMEOUT: '3' });
    });
    after(async () => {
      await inbox?.close();
    });

    test('no answer and no callback: queued with a note, then failed ("Twilio never confirmed this message") by the sweep', TEST_TIMEOUT, async () => {
      const id = await customerWrites(inbox, '+573170000006');
      // The request hangs past the timeout and then fails at Twilio: nothing is ever created.
      inbox.local.injectFault({ status: 500, delayMs: 2_500, count: 1, pathContains: SEND_PATH });
      const { status, json } = await send(inbox, id, 'Hola');
      assert.equal(status, 504);
      assertApiError(json, 'twilio_timeout');
      const failed = await waitFor(async () => (await panelRows(inbox, id)).find((r) => r.status === 'failed'), 'the sweep failing the row', 30_000);
      assert.equal(failed.error_message, SEND_NOTES.neverConfirmed.en);
      assert.equal(failed.sid, null);
      assert.equal(inbox.local.messages().filter((x) => x.direction !== 'inbound').length, 0, 'Twilio never created it');
      // Other sends are untouched: a normal one still goes through and is not swept.
      const ok = await send(inbox, id, 'Segundo intento');
      assert.equal(ok.status, 201, JSON.stringify(ok.json));
      await waitFor(async () => (await panelRows(inbox, id)).some((r) => r.id === (ok.json as MessageDto).id && r.status === 'read'), 'the second send read', 20_000);
    });
  });
}
