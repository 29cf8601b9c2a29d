import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ChangesDto } from '../src/contract/api.ts';
import { messageChangeLog } from '../src/db/message-change-log.ts';
import { messageRepository } from '../src/db/message-repository.ts';
import { startChangeLogUpkeep } from '../src/messages/change-log-upkeep.ts';
import { recheckStatuses } from '../src/messages/status-recheck.ts';
import { migrate } from '../src/db/migrate.ts';
import { databaseKinds, openTestDatabase } from './support/databases.ts';
import { newSid, OUR_NUMBER, startTestInbox, statusParams, waitFor, type TestInbox, type TestSession } from './support/inbox.ts';

const DAY_MS = 86_400_000;

for (const kind of databaseKinds()) {
  describe(`status updates stay on their page, the change log answers /api/changes (${kind})`, () => {
    let inbox: TestInbox;
    let session: TestSession;
    before(async () => {
      // The tests count the change log's rows and prune it themselves: the server's own pass, every
      // 10 s, would prune between a change and the count.
      inbox = await startTestInbox({ kind, lifecycle: { delayMs: 5 }, reconcileIntervalSeconds: 0, changeLogUpkeepMs: null });
      session = await inbox.login();
    });
    after(() => inbox.close());

    /** An outside send to a customer who wrote first (the window is open), recorded through its `sent` callback, its text fetched. */
    async function recordedOutside(phone: string, body: string): Promise<{ sid: string; id: string }> {
      await inbox.local.simulateInbound({ from: `whatsapp:${phone}`, body: 'hola' });
      inbox.local.setLifecycle({ delayMs: 5, statuses: ['sent'] });
      const { sid } = await inbox.local.simulateExternalSend({ to: `whatsapp:${phone}`, body });
      await inbox.local.idle();
      const id = await waitFor(async () => {
        const { rows } = await inbox.db.query<{ id: string }>(`SELECT id FROM messages WHERE sid = $1 AND status = 'sent' AND NOT body_pending AND body IS NOT NULL`, [sid]);
        return rows[0]?.id;
      }, 'the outside send with its text', 20_000);
      return { sid, id };
    }

    const changesAfter = async (after: number) => {
      const res = await fetch(`${inbox.baseUrl}/api/changes?after=${after}`, { headers: session.headers });
      assert.equal(res.status, 200);
      return (await res.json()) as ChangesDto;
    };

    test('a callback that advances a stored message updates it in place: no index gains an entry', async () => {
      const { sid } = await recordedOutside('+573185551001', 'Su cita es mañana a las 8:00 en la sede norte');
      const hot = await inbox.db.transaction(async (tx) => {
        // The counters hold this backend's updates not yet reported, so the test reads their difference.
        const counters = async () => {
          const { rows } = await tx.query<{ updated: string; hot: string }>(
            `SELECT pg_stat_get_xact_tuples_updated('messages'::regclass) AS updated, pg_stat_get_xact_tuples_hot_updated('messages'::regclass) AS hot`,
          );
          return { updated: Number(rows[0]!.updated), hot: Number(rows[0]!.hot) };
        };
        const before = await counters();
        const r = await messageRepository.recordStatusBatch(tx, [{
          sid, phone: '+573185551001', senderAddress: OUR_NUMBER, u: { status: 'delivered', errorCode: null, errorMessage: null, at: new Date() },
          messageId: null, businessAddress: OUR_NUMBER, messagingServiceSid: null, body: null, bodyPending: true, createdAt: new Date(), fetchJob: null,
        }], { via: 'callback', raise: true });
        assert.equal(r.changed.length, 1);
        const now = await counters();
        return { updated: now.updated - before.updated, hot: now.hot - before.hot };
      });
      assert.deepEqual(hot, { updated: 1, hot: 1 });
    });

    test('/api/changes gives each changed message once, as it is now, and still does after the log is pruned', async () => {
      const start = (await changesAfter(0)).seq;
      const a = await recordedOutside('+573185551002', 'Recuerde traer su documento');
      const b = await recordedOutside('+573185551003', 'Resultados listos');
      for (const status of ['delivered', 'read']) {
        const res = await inbox.postSigned('/api/whatsapp/status', statusParams(a.sid, status, { to: 'whatsapp:+573185551002' }));
        assert.equal(res.status, 204);
      }
      const seen = await waitFor(async () => {
        const c = await changesAfter(start);
        return c.messages.find((m) => m.id === a.id)?.status === 'read' && c;
      }, 'the read status in /api/changes');
      assert.deepEqual(seen.messages.filter((m) => m.id === a.id || m.id === b.id).map((m) => [m.id, m.status]).sort(), [[a.id, 'read'], [b.id, 'sent']].sort());
      assert.equal(new Set(seen.messages.map((m) => m.id)).size, seen.messages.length, 'no message twice');

      const logged = async (id: string) => Number((await inbox.db.query<{ n: string }>('SELECT count(*) AS n FROM message_changes WHERE message_id = $1', [id])).rows[0]!.n);
      assert.ok((await logged(a.id)) >= 3, 'the log holds a row for each change');
      let removed = 0;
      for (let cursor = 0; ; ) {
        const r = await messageChangeLog.pruneAfter(inbox.db, cursor, 2);
        removed += r.removed;
        if (r.last === null) break;
        cursor = r.last;
      }
      assert.ok(removed >= 2);
      assert.equal(await logged(a.id), 1, 'only the latest row of a message stays');
      assert.equal(await logged(b.id), 1);
      const { rows } = await inbox.db.query<{ n: string }>('SELECT count(*) AS n FROM messages m WHERE NOT EXISTS (SELECT 1 FROM message_changes c WHERE c.seq = m.seq AND c.message_id = m.id)');
      assert.equal(Number(rows[0]!.n), 0, 'every message keeps its latest change');

      const again = await changesAfter(start);
      assert.deepEqual(again.messages.map((m) => [m.id, m.status, m.seq]), seen.messages.map((m) => [m.id, m.status, m.seq]));
    });

    test('the upkeep pass prunes what callbacks superseded and vacuums the log, leaving a row a message', async () => {
      const c = await recordedOutside('+573185551007', 'Control anual');
      for (const status of ['delivered', 'read']) {
        assert.equal((await inbox.postSigned('/api/whatsapp/status', statusParams(c.sid, status, { to: 'whatsapp:+573185551007' }))).status, 204);
      }
      await waitFor(async () => (await inbox.db.query('SELECT 1 FROM messages WHERE id = $1 AND status = $2', [c.id, 'read'])).rows.length > 0, 'read stored');
      const warnings: object[] = [];
      const upkeep = startChangeLogUpkeep(inbox.db, { warn: (o) => warnings.push(o) }, { everyMs: null });
      try {
        await upkeep.runOnce();
        const { rows } = await inbox.db.query<{ n: string }>('SELECT count(*) AS n FROM message_changes WHERE message_id = $1', [c.id]);
        assert.equal(Number(rows[0]!.n), 1, 'the read row alone stays');
        assert.equal(await upkeep.runOnce(), 0, 'nothing left to prune');
      } finally {
        await upkeep.stop();
      }
      assert.deepEqual(warnings, []);
      await messageChangeLog.vacuum(inbox.db);
      const { rows } = await inbox.db.query<{ logged: string; messages: string }>('SELECT (SELECT count(*) FROM message_changes) AS logged, (SELECT count(*) FROM messages) AS messages');
      assert.equal(Number(rows[0]!.logged), Number(rows[0]!.messages));
    });

    test('the re-check pass takes final and too-old messages out of its queue and re-checks the rest', async () => {
      const read = await recordedOutside('+573185551004', 'Ya leído');
      const waiting = await recordedOutside('+573185551005', 'Aún sin leer');
      const old = await recordedOutside('+573185551006', 'Muy antiguo');
      const res = await inbox.postSigned('/api/whatsapp/status', statusParams(read.sid, 'read', { to: 'whatsapp:+573185551004' }));
      assert.equal(res.status, 204);
      await waitFor(async () => (await inbox.db.query('SELECT 1 FROM messages WHERE id = $1 AND status = $2', [read.id, 'read'])).rows.length > 0, 'read stored');
      const twoDays = new Date(Date.now() - 2 * DAY_MS);
      const fortyDays = new Date(Date.now() - 40 * DAY_MS);
      await inbox.db.query('UPDATE messages SET created_at = $2 WHERE id = ANY($1)', [[read.id, waiting.id], twoDays]);
      await inbox.db.query('UPDATE messages SET created_at = $2 WHERE id = $1', [old.id, fortyDays]);

      const counts = await recheckStatuses(inbox.ctx, { limit: 10, maxAgeDays: 30, createdBefore: new Date(Date.now() - DAY_MS) });
      assert.equal(counts.checked, 1, 'only the message that can still advance was fetched');
      const checked = async (id: string) => (await inbox.db.query<{ at: string | null }>(`SELECT status_checked_at::text AS at FROM messages WHERE id = $1`, [id])).rows[0]!.at;
      assert.equal(await checked(read.id), 'infinity');
      assert.equal(await checked(old.id), 'infinity');
      assert.notEqual(await checked(waiting.id), null);
      assert.notEqual(await checked(waiting.id), 'infinity');

      // The queue's index no longer holds them: its predicate leaves out what was retired.
      const { rows } = await inbox.db.query<{ id: string }>(
        `SELECT id FROM messages WHERE direction = 'outbound' AND sid IS NOT NULL AND (status_checked_at IS NULL OR status_checked_at < 'infinity') AND id = ANY($1)`,
        [[read.id, waiting.id, old.id]],
      );
      assert.deepEqual(rows.map((r) => r.id), [waiting.id]);
    });
  });

  test(`upgrading: every stored message is in the change log with its seq, and a read message can be retired (${kind})`, async () => {
    const { db, close } = await openTestDatabase(kind, { empty: true });
    try {
      await migrate(db, { before: '015' });
      await db.query(`INSERT INTO senders (address) VALUES ($1)`, [OUR_NUMBER]);
      await db.query(`INSERT INTO contacts (phone) VALUES ('+573185551010')`);
      await db.query(`INSERT INTO conversations (contact_id, sender_id) SELECT k.id, s.id FROM contacts k, senders s`);
      await db.query(`INSERT INTO messages (sid, conversation_id, direction, source, captured_via, status, body)
        SELECT $1 || g, (SELECT id FROM conversations), 'outbound', 'external', 'callback', CASE WHEN g % 2 = 0 THEN 'read' ELSE 'delivered' END, 'texto ' || g
        FROM generate_series(1, 6) g`, [newSid().slice(0, 20)]);
      assert.deepEqual(await migrate(db), ['015.hot-status-updates.sql']);
      const { rows } = await db.query<{ logged: string; matching: string }>(
        `SELECT (SELECT count(*) FROM message_changes) AS logged,
                (SELECT count(*) FROM messages m JOIN message_changes c ON c.message_id = m.id AND c.seq = m.seq) AS matching`,
      );
      assert.deepEqual({ logged: Number(rows[0]!.logged), matching: Number(rows[0]!.matching) }, { logged: 6, matching: 6 });
      assert.equal(await messageRepository.retireStatusRechecks(db, { limit: 100, createdAfter: new Date(Date.now() - 30 * DAY_MS) }), 3, 'the three read ones');
      const changed = await messageRepository.changedSince(db, 0, 100);
      assert.equal(changed.length, 6, 'a retirement is no change a panel needs; each message still once');
    } finally {
      await close();
    }
  });

  test(`during a burst the change log's upkeep waits, but not forever (${kind})`, async () => {
    const { db, close } = await openTestDatabase(kind);
    try {
      await db.query(`INSERT INTO senders (address) VALUES ($1)`, [OUR_NUMBER]);
      await db.query(`INSERT INTO contacts (phone) VALUES ('+573185551011')`);
      await db.query(`INSERT INTO conversations (contact_id, sender_id) SELECT k.id, s.id FROM contacts k, senders s`);
      await db.query(`INSERT INTO messages (sid, conversation_id, direction, source, captured_via, status) VALUES ($1, (SELECT id FROM conversations), 'outbound', 'external', 'callback', 'sent')`, [newSid()]);
      for (const status of ['delivered', 'read']) await db.query(`UPDATE messages SET status = $1, seq = nextval('change_seq')`, [status]);
      const logged = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM message_changes')).rows[0]!.n);
      assert.equal(await logged(), 3);
      const upkeep = startChangeLogUpkeep(db, { warn: () => {} }, { everyMs: null, underLoad: () => true });
      try {
        for (let i = 0; i < 30; i++) assert.equal(await upkeep.runOnce(), 0);
        assert.equal(await logged(), 3, 'nothing pruned while under load');
        assert.equal(await upkeep.runOnce(), 2, 'the 31st pass in a row prunes anyway');
        assert.equal(await logged(), 1);
      } finally {
        await upkeep.stop();
      }
    } finally {
      await close();
    }
  });
}
