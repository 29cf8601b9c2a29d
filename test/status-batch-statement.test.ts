import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Database, Queryable } from '../src/db/database.ts';
import { messageRepository, type NewStatusItem } from '../src/db/message-repository.ts';
import type { InboxContext } from '../src/messages/context.ts';
import { NO_PANELS } from '../src/messages/conversation-feed.ts';
import { InboxEvents } from '../src/messages/inbox-events.ts';
import { recordStatuses, type StatusReport } from '../src/messages/record-status.ts';
import { senderDirectory } from '../src/messages/senders.ts';
import { createSettingsStore } from '../src/messages/settings-store.ts';
import type { TwilioGateway } from '../src/twilio/gateway.ts';
import { databaseKinds, openTestDatabase } from './support/databases.ts';
import { waitFor } from './support/inbox.ts';

// A batch of callbacks used to be two statements in a transaction: the advance of stored messages
// held their locks while the insert of new ones waited on another instance's batch, which waited
// on those locks; PostgreSQL broke the cycle only after deadlock_timeout (1 s), seen in the bench
// with two instances. Now a batch is one statement that takes its locks in fixed orders.
const OURS = 'whatsapp:+14155238886';
let serial = 0;
const newSid = () => `SM${Date.now().toString(16)}${(serial++).toString(16).padStart(8, '0')}`.padEnd(34, '0');
const report = (sid: string, phone: string, status: StatusReport['status'], at: Date): StatusReport => ({
  messageSid: sid, status, from: OURS, to: `whatsapp:${phone}`, errorCode: null, errorMessage: null, messagingServiceSid: null, messageId: null, at,
});
const item = (sid: string, phone: string, status: NewStatusItem['u']['status'], at: Date): NewStatusItem => ({
  sid, phone, senderAddress: OURS, u: { status, errorCode: null, errorMessage: null, at }, messageId: null,
  businessAddress: OURS, messagingServiceSid: null, body: null, bodyPending: true, createdAt: at, fetchJob: 'fetch_message',
});

/** What recordStatuses works with, on a database that counts the statements it is sent. */
function contextCounting(db: Database) {
  let statements = 0;
  const counted: Database = Object.assign(Object.create(db) as Database, {
    query: ((sql: string, params?: unknown[], o?: object) => {
      statements++;
      return db.query(sql, params, o);
    }) as Queryable['query'],
  });
  const silent = { info() {}, warn() {}, error() {}, debug() {} };
  const ctx: InboxContext = {
    db: counted, events: new InboxEvents(), conversations: NO_PANELS, settings: createSettingsStore(db), baseUrl: 'https://inbox.example.com',
    log: silent, wakeWorker: () => {}, senders: senderDirectory({ configured: [OURS], inService: [], messagingServiceSid: null }),
    // Recording a status never calls Twilio (texts are fetched later, by the worker).
    twilio: {} as TwilioGateway,
  };
  return { ctx, statements: () => statements };
}

const conversationOf = async (db: Database, phone: string) => (await db.query<{ last_message_id: string | null; unread_count: number; last_message_at: Date | null }>(
  `SELECT c.last_message_id, c.unread_count, c.last_message_at FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE k.phone = $1`, [phone],
)).rows;
const idOf = async (db: Database, sid: string) => (await db.query<{ id: string }>('SELECT id FROM messages WHERE sid = $1', [sid])).rows[0]?.id;

for (const kind of databaseKinds()) {
  describe(`a batch of status reports is one statement (${kind})`, () => {
    let db: Database;
    let close: () => Promise<void>;
    before(async () => {
      ({ db, close } = await openTestDatabase(kind, { poolSize: 4 }));
      await db.query(`INSERT INTO senders (address) VALUES ($1)`, [OURS]);
    });
    after(() => close());

    test('stored and new SIDs, a new customer among them: one statement, and every conversation gets its latest message and unread count', async () => {
      const { ctx, statements } = contextCounting(db);
      const t0 = new Date(Date.now() - 60_000);
      const stored = newSid();
      // The settings are read (and kept) on the first batch.
      assert.deepEqual(await recordStatuses(ctx, [report(stored, '+573001110001', 'sent', t0)]), ['recorded']);
      const before = statements();
      const [fresh, another] = [newSid(), newSid()];
      const outcomes = await recordStatuses(ctx, [
        report(stored, '+573001110001', 'delivered', new Date(t0.getTime() + 1_000)),
        report(fresh, '+573001110002', 'sent', new Date(t0.getTime() + 2_000)),
        report(another, '+573001110001', 'sent', new Date(t0.getTime() + 3_000)),
        report(fresh, '+573001110002', 'delivered', new Date(t0.getTime() + 4_000)),
      ]);
      assert.equal(statements() - before, 1, 'one statement for the whole batch');
      assert.deepEqual(outcomes, ['advanced', 'recorded', 'recorded', 'unchanged']);
      const { rows } = await db.query<{ sid: string; status: string; source: string; jobs: number }>(
        `SELECT m.sid, m.status, m.source, (SELECT count(*)::int FROM jobs j WHERE j.message_id = m.id) AS jobs FROM messages m WHERE m.sid = ANY($1) ORDER BY m.created_at`,
        [[stored, fresh, another]],
      );
      assert.deepEqual(rows, [
        { sid: stored, status: 'delivered', source: 'external', jobs: 1 },
        { sid: fresh, status: 'delivered', source: 'external', jobs: 1 },
        { sid: another, status: 'sent', source: 'external', jobs: 1 },
      ]);
      // The new customer's conversation was created by the same statement that wrote its message.
      assert.deepEqual(await conversationOf(db, '+573001110002'), [{ last_message_id: await idOf(db, fresh), unread_count: 1, last_message_at: new Date(t0.getTime() + 2_000) }]);
      assert.deepEqual(await conversationOf(db, '+573001110001'), [{ last_message_id: await idOf(db, another), unread_count: 2, last_message_at: new Date(t0.getTime() + 3_000) }]);
    });
  });
}

describe('status batches racing on PostgreSQL', { skip: !databaseKinds().includes('postgres') && 'PostgreSQL not in this run' }, () => {
  let db: Database;
  let close: () => Promise<void>;
  before(async () => {
    ({ db, close } = await openTestDatabase('postgres', { poolSize: 6 }));
    await db.query(`INSERT INTO senders (address) VALUES ($1)`, [OURS]);
  });
  after(() => close());

  test('a new customer whose conversation another writer creates at the same instant: the message lands in it, as its latest', async () => {
    const { ctx, statements } = contextCounting(db);
    await recordStatuses(ctx, [report(newSid(), '+573002220000', 'sent', new Date())]);
    const phone = '+573002220001';
    const sid = newSid();
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    let created!: () => void;
    const inserted = new Promise<void>((resolve) => { created = resolve; });
    // Another writer (the inbound webhook, say) creates the customer's conversation and has not committed yet.
    const other = db.transaction(async (tx) => {
      await tx.query(`INSERT INTO contacts (phone) VALUES ($1)`, [phone]);
      await tx.query(`INSERT INTO conversations (contact_id, sender_id) SELECT k.id, s.id FROM contacts k, senders s WHERE k.phone = $1 AND s.address = $2`, [phone, OURS]);
      created();
      await held;
    });
    await inserted;
    const before = statements();
    const outcome = recordStatuses(ctx, [report(sid, phone, 'sent', new Date())]);
    // The batch waits for the other writer's contact, leaves the message out once it commits, and writes it again in that conversation.
    // (Waited for, not slept on: a batch that reached PostgreSQL after the commit found the contact and wrote in one statement.)
    await waitFor(async () => (await db.query(
      `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'transactionid'`,
    )).rows.length > 0, 'the batch waiting on the other writer\'s contact');
    release();
    await other;
    assert.deepEqual(await outcome, ['recorded']);
    assert.equal(statements() - before, 2, 'the batch, then the message it left out');
    const [conversation] = await conversationOf(db, phone);
    assert.equal(conversation?.last_message_id, await idOf(db, sid));
    assert.equal(conversation?.unread_count, 1);
  });

  test('batches from several instances over the same new and stored SIDs, in different orders, never deadlock', async () => {
    for (let round = 0; round < 20; round++) {
      const at = new Date();
      const storedSids = Array.from({ length: 40 }, newSid);
      await messageRepository.recordStatusBatch(db, storedSids.map((sid, i) => item(sid, `+57300333${String(i).padStart(4, '0')}`, 'sent', at)), { via: 'callback', raise: true });
      // New SIDs: half to customers already known, half to new ones (two SIDs each), as a campaign's first callbacks.
      const newSids = Array.from({ length: 40 }, (_, i) => ({ sid: newSid(), phone: i % 2 ? `+57300333${String(i).padStart(4, '0')}` : `+5730044${String(round).padStart(2, '0')}${String(i % 10).padStart(3, '0')}` }));
      const all = [...storedSids.map((sid, i) => ({ sid, phone: `+57300333${String(i).padStart(4, '0')}` })), ...newSids];
      const shuffled = () => [...all].sort(() => Math.random() - 0.5);
      const statuses = ['delivered', 'read', 'sent', 'delivered'] as const;
      // As the batch's caller does: what a statement leaves out (a customer another batch is creating) goes again.
      const write = async (items: NewStatusItem[]): Promise<void> => {
        const r = await messageRepository.recordStatusBatch(db, items, { via: 'callback', raise: true });
        if (r.leftOut.size) await write(items.filter((i) => r.leftOut.has(i.sid)));
      };
      const results = await Promise.allSettled(statuses.map((status) => write(shuffled().map((m) => item(m.sid, m.phone, status, at)))));
      for (const r of results) if (r.status === 'rejected') assert.fail(`round ${round}: ${(r.reason as Error).message}`);
      const { rows: [check] } = await db.query<{ rows: string; sids: string; read: string }>(
        `SELECT count(*) AS rows, count(DISTINCT sid) AS sids, count(*) FILTER (WHERE status = 'read') AS read FROM messages WHERE sid = ANY($1)`,
        [all.map((m) => m.sid)],
      );
      assert.deepEqual(check, { rows: '80', sids: '80', read: '80' }, `round ${round}: one row per SID, each at its highest status`);
      const { rows: [unlisted] } = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE k.phone = ANY($1) AND c.last_message_id IS NULL`,
        [newSids.map((m) => m.phone)],
      );
      assert.equal(unlisted?.n, '0', `round ${round}: every conversation names its latest message`);
    }
  });
});
