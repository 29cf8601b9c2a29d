import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runDoctor } from '../src/cli/doctor.ts';
import { checkpointRepository } from '../src/db/settings-repository.ts';
import { startReconciler } from '../src/messages/reconciler.ts';
import { recheckStatuses } from '../src/messages/status-recheck.ts';
import { databaseKinds } from './support/databases.ts';
import { OUR_NUMBER, startTestInbox, statusParams, waitFor, type TestInbox } from './support/inbox.ts';
import { record, watch } from './support/realtime.ts';

const DAY_MS = 86_400_000;

for (const kind of databaseKinds()) {
  describe(`reconcile re-checks statuses older than its list (${kind})`, () => {
    let inbox: TestInbox;
    before(async () => {
      inbox = await startTestInbox({ kind, lifecycle: { delayMs: 5 } });
    });
    after(() => inbox.close());

    /** The list step covers the last few minutes only: what is older is the re-check's. */
    const listOnlyRecent = () => checkpointRepository.set(inbox.db, 'reconcile_since', new Date(Date.now() - 60_000).toISOString());

    /** Makes messages two days old on both sides, so Twilio's recent list no longer shows them. */
    async function age(sids: string[], o: { status?: string } = {}) {
      const then = new Date(Date.now() - 2 * DAY_MS);
      for (const sid of sids) inbox.local.updateMessage(sid, { dateCreated: then, dateSent: then, ...(o.status ? { status: o.status } : {}) });
      await inbox.db.query('UPDATE messages SET created_at = $2 WHERE sid = ANY($1)', [sids, then]);
    }

    /** Outside sends to one customer (who wrote first, so the window is open), recorded through their callbacks with their texts. */
    async function sendOutside(phone: string, n: number, status: 'sent' | 'delivered' = 'sent'): Promise<string[]> {
      await inbox.local.simulateInbound({ from: `whatsapp:${phone}`, body: 'hola' });
      inbox.local.setLifecycle({ delayMs: 5, statuses: status === 'sent' ? ['sent'] : ['sent', 'delivered'] });
      const sids: string[] = [];
      for (let i = 0; i < n; i++) sids.push((await inbox.local.simulateExternalSend({ to: `whatsapp:${phone}`, body: `aviso ${i}` })).sid);
      await inbox.local.idle();
      await waitFor(async () => {
        const { rows } = await inbox.db.query<{ n: string }>('SELECT count(*) AS n FROM messages WHERE sid = ANY($1) AND status = $2 AND NOT body_pending', [sids, status]);
        return Number(rows[0]!.n) === n;
      }, `${n} outside sends recorded`, 60_000);
      return sids;
    }

    /** GETs of single messages the local Twilio answered since request `from`, per SID. */
    function fetchesSince(from: number): Map<string, number> {
      const counts = new Map<string, number>();
      for (const r of inbox.local.requests().slice(from)) {
        const sid = r.method === 'GET' ? /\/Messages\/((?:SM|MM)[0-9a-f]{32})\.json$/.exec(r.path)?.[1] : undefined;
        if (sid) counts.set(sid, (counts.get(sid) ?? 0) + 1);
      }
      return counts;
    }

    test('250 waiting, 100 a pass: three passes fetch each once, the never-checked and oldest first', async () => {
      const sids = await sendOutside('+573185550001', 250);
      await age(sids);
      // Creation order is age order: the first sent is the oldest.
      await inbox.db.query(`UPDATE messages SET created_at = created_at - make_interval(secs => 250 - array_position($1::text[], sid)) WHERE sid = ANY($1)`, [sids]);
      await listOnlyRecent();
      const start = inbox.local.requests().length;
      const perPass: string[][] = [];
      for (let pass = 0; pass < 3; pass++) {
        const from = inbox.local.requests().length;
        const result = await inbox.reconciler!.runOnce();
        assert.ok(result, 'this instance held the lease');
        assert.ok(result.recheck.checked <= 100, `pass ${pass} fetched ${result.recheck.checked}`);
        perPass.push([...fetchesSince(from).keys()].filter((sid) => sids.includes(sid)));
      }
      assert.deepEqual(perPass.map((p) => p.length), [100, 100, 50]);
      // Oldest first: the first pass took the 100 oldest, the second the next 100.
      assert.deepEqual(new Set(perPass[0]), new Set(sids.slice(0, 100)));
      assert.deepEqual(new Set(perPass[1]), new Set(sids.slice(100, 200)));
      const all = fetchesSince(start);
      assert.ok(sids.every((sid) => all.get(sid) === 1), 'every message fetched exactly once');
      const fourth = inbox.local.requests().length;
      const again = await inbox.reconciler!.runOnce();
      assert.equal(again!.recheck.checked, 0, 'all were just checked: none is fetched again before its turn');
      assert.equal(fetchesSince(fourth).size, 0);
      const { rows } = await inbox.db.query<{ n: string }>('SELECT count(*) AS n FROM messages WHERE sid = ANY($1) AND status_checked_at IS NOT NULL', [sids]);
      assert.equal(Number(rows[0]!.n), 250);
    });

    test('a read whose callback was lost arrives at the next pass, live on a socket; failed and read messages are not fetched', async () => {
      const customer = 'whatsapp:+573185550002';
      const { sid: inboundSid } = await inbox.local.simulateInbound({ from: customer, body: 'buenos días' });
      const conversationId = await waitFor(async () => (await inbox.db.query<{ conversation_id: string }>('SELECT conversation_id FROM messages WHERE sid = $1', [inboundSid])).rows[0]?.conversation_id, 'the inbound message');
      const { cookie, headers } = await inbox.login();
      // WhatsApp says delivered; the `read` never reaches us.
      inbox.local.setLifecycle({ delayMs: 5, statuses: ['sent', 'delivered'] });
      const res = await fetch(`${inbox.baseUrl}/api/conversations/${conversationId}/messages`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ body: 'Su cita es mañana a las 8' }) });
      assert.equal(res.status, 201);
      const sent = (await res.json()) as { id: string; sid: string };
      await inbox.local.idle();
      await waitFor(async () => (await inbox.db.query<{ status: string }>('SELECT status FROM messages WHERE id = $1', [sent.id])).rows[0]?.status === 'delivered', 'delivered');
      // Another one failed (63016), and one was read: both final, neither is fetched again.
      inbox.local.setLifecycle({ delayMs: 5, failWith: 63016 });
      const failed = (await inbox.local.simulateExternalSend({ to: 'whatsapp:+573185550003', body: 'fuera de la ventana' })).sid;
      inbox.local.setLifecycle({ delayMs: 5 });
      const [read] = await sendOutside('+573185550004', 1);
      inbox.local.updateMessage(read!, { status: 'read' });
      await inbox.local.idle();
      await waitFor(async () => (await inbox.db.query<{ status: string }>('SELECT status FROM messages WHERE sid = $1', [failed])).rows[0]?.status === 'failed', 'failed recorded');
      const readCallback = await inbox.postSigned('/api/whatsapp/status', statusParams(read!, 'read', { to: 'whatsapp:+573185550004', accountSid: inbox.accountSid }));
      assert.equal(readCallback.status, 204);
      await waitFor(async () => (await inbox.db.query<{ status: string }>('SELECT status FROM messages WHERE sid = $1', [read])).rows[0]?.status === 'read', 'read recorded');

      inbox.local.updateMessage(sent.sid, { status: 'read' });
      await age([sent.sid, failed, read!]);
      await listOnlyRecent();
      const socket = await inbox.connectSocket(cookie);
      const received = record(socket);
      assert.equal(await watch(socket, conversationId), true);
      const from = inbox.local.requests().length;
      const result = await inbox.reconciler!.runOnce();
      assert.equal(result!.recheck.advanced, 1);
      const { rows } = await inbox.db.query<{ status: string; read_at: Date | null; delivered_at: Date | null }>('SELECT status, read_at, delivered_at FROM messages WHERE id = $1', [sent.id]);
      assert.equal(rows[0]!.status, 'read');
      assert.ok(rows[0]!.read_at && rows[0]!.read_at.getTime() > Date.now() - 60_000, `read when Twilio last changed it (now), not when it was sent: ${rows[0]!.read_at?.toISOString()}`);
      assert.ok(rows[0]!.delivered_at, 'delivered stays');
      const update = await waitFor(() => received.messages.find((m) => m.event === 'updated' && m.message.id === sent.id && m.message.status === 'read'), 'message:updated to read on the socket');
      assert.equal(update.message.sid, sent.sid);
      const fetched = fetchesSince(from);
      assert.equal(fetched.get(sent.sid), 1);
      assert.equal(fetched.has(failed), false, 'a failed message is never fetched again');
      assert.equal(fetched.has(read!), false, 'a read message is never fetched again');
    });

    test('a message Twilio deleted (404) is marked checked and the pass goes on', async () => {
      const [gone, kept] = await sendOutside('+573185550005', 2);
      await age([gone!, kept!]);
      inbox.local.updateMessage(kept!, { status: 'delivered' });
      inbox.local.deleteMessage(gone!);
      await listOnlyRecent();
      const result = await inbox.reconciler!.runOnce();
      assert.ok(result, 'the pass completed');
      assert.equal(result.recheck.gone, 1);
      assert.equal(result.recheck.advanced, 1, 'the other message still advanced');
      const { rows } = await inbox.db.query<{ sid: string; status: string; checked: boolean }>('SELECT sid, status, status_checked_at IS NOT NULL AS checked FROM messages WHERE sid = ANY($1) ORDER BY sid', [[gone, kept]]);
      assert.deepEqual(rows.find((r) => r.sid === gone), { sid: gone, status: 'sent', checked: true });
      assert.deepEqual(rows.find((r) => r.sid === kept), { sid: kept, status: 'delivered', checked: true });
      // Twilio failing answers: counted and logged, the pass ends normally.
      const [flaky] = await sendOutside('+573185550006', 1);
      await age([flaky!]);
      inbox.local.injectFault({ status: 500, pathContains: flaky! });
      try {
        const failing = await inbox.reconciler!.runOnce();
        assert.ok(failing, 'a Twilio error does not end the pass');
        assert.equal(failing.recheck.failed, 1);
      } finally {
        inbox.local.injectFault(null);
      }
    });

    // doctor opens the database itself: a PGlite in memory is out of its reach.
    if (kind === 'postgres') {
      test('doctor says what the last pass re-checked', async () => {
        const [late] = await sendOutside('+573185550009', 1);
        await age([late!], { status: 'read' });
        await listOnlyRecent();
        const pass = await inbox.reconciler!.runOnce();
        assert.equal(pass!.recheck.advanced, 1);
        const env = {
          DATABASE_URL: inbox.databaseUrl!, BASE_URL: inbox.baseUrl, TWILIO_ACCOUNT_SID: inbox.accountSid, TWILIO_AUTH_TOKEN: inbox.authToken,
          TWILIO_WHATSAPP_FROM: OUR_NUMBER, TWILIO_API_URL: inbox.local.url, LOG_LEVEL: 'silent',
        };
        const line = (await runDoctor(env)).find((c) => c.name === 'last reconciliation');
        assert.equal(line?.status, 'ok');
        assert.match(line.detail, new RegExp(`${pass!.recheck.checked} older re-checked at Twilio, 1 advanced, 0 deleted at Twilio, 0 errors`));
        const es = (await runDoctor({ ...env, WA_LANG: 'es' })).find((c) => c.name === 'última reconciliación');
        assert.match(es!.detail, /revisados de nuevo en Twilio, 1 avanzaron/);
      });
    }

    test('two instances re-checking at once fetch each message once', async () => {
      const sids = await sendOutside('+573185550007', 60);
      await age(sids);
      await listOnlyRecent();
      // Two reconcilers (two lease holders) start a pass together...
      const other = startReconciler(inbox.ctx, 0, { perPass: 100, maxAgeDays: 30 });
      let from = inbox.local.requests().length;
      const [a, b] = await Promise.all([inbox.reconciler!.runOnce(), other.runOnce()]);
      await other.stop();
      assert.ok(a || b, 'one of them ran');
      let fetched = fetchesSince(from);
      assert.ok(sids.every((sid) => fetched.get(sid) === 1), 'each fetched once');
      // ...and the claim alone, without the lease, never hands one message to two re-checks.
      const more = await sendOutside('+573185550008', 60);
      await age(more);
      from = inbox.local.requests().length;
      const options = { limit: 40, maxAgeDays: 30, createdBefore: new Date(Date.now() - DAY_MS) };
      const both = await Promise.all([recheckStatuses(inbox.ctx, options), recheckStatuses(inbox.ctx, options)]);
      assert.equal(both[0].checked + both[1].checked, 60);
      fetched = fetchesSince(from);
      assert.ok(more.every((sid) => fetched.get(sid) === 1), 'each fetched once');
    });
  });
}

describe('re-check settings', () => {
  test('default to 100 a pass and 30 days; a bad value stops the start naming its variable', async () => {
    const { ConfigError, loadConfig } = await import('../src/config/env.ts');
    assert.deepEqual(loadConfig({}).reconcileRecheck, { perPass: 100, maxAgeDays: 30 });
    assert.deepEqual(loadConfig({ RECONCILE_RECHECK_PER_PASS: '0', RECONCILE_RECHECK_DAYS: '7' }).reconcileRecheck, { perPass: 0, maxAgeDays: 7 });
    assert.throws(() => loadConfig({ RECONCILE_RECHECK_PER_PASS: '-1', RECONCILE_RECHECK_DAYS: '0' }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.ok(err.problems.some((p) => p.startsWith('RECONCILE_RECHECK_PER_PASS')));
      assert.ok(err.problems.some((p) => p.startsWith('RECONCILE_RECHECK_DAYS')));
      return true;
    });
  });
});
