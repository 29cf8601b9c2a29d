import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { withDeadlockRetry, type Database } from '../src/db/database.ts';
import { messageRepository } from '../src/db/message-repository.ts';
import { databaseKinds, openTestDatabase } from './support/databases.ts';

// The bench found the text fetcher's batch and a callback batch deadlocking under a campaign's load:
// PostgreSQL aborted the fetcher's write, whose jobs then waited out their 60 s lease. Writers that
// can meet that way go through withDeadlockRetry; here two transactions really deadlock.
describe('deadlock retry (postgres)', { skip: !databaseKinds().includes('postgres') && 'PostgreSQL not in this run' }, () => {
  let db: Database;
  let close: () => Promise<void>;
  before(async () => {
    ({ db, close } = await openTestDatabase('postgres', { poolSize: 4 }));
    await db.exec('CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counters VALUES (1, 0), (2, 0);');
    await db.exec(`INSERT INTO contacts (phone) VALUES ('+573000000001'); INSERT INTO senders (address) VALUES ('whatsapp:+14155238886');
      INSERT INTO conversations (contact_id, sender_id) SELECT k.id, s.id FROM contacts k, senders s;`);
  });
  after(() => close());

  test('two writers locking rows in opposite orders both end up applied', async () => {
    let aborted = 0;
    let bothLockedFirst: () => void;
    const barrier = new Promise<void>((resolve) => { bothLockedFirst = resolve; });
    let locked = 0;
    const writer = (first: number, second: number) => withDeadlockRetry(() => db.transaction(async (tx) => {
      await tx.query('UPDATE counters SET n = n + 1 WHERE id = $1', [first]);
      if (++locked === 2) bothLockedFirst();
      await barrier;
      try {
        await tx.query('UPDATE counters SET n = n + 1 WHERE id = $1', [second]);
      } catch (err) {
        if ((err as { code?: string }).code === '40P01') aborted++;
        throw err;
      }
    }));
    await Promise.all([writer(1, 2), writer(2, 1)]);
    // Once as a rule. On a loaded machine a retry has met the survivor again (both were applied,
    // on the third try), so the count is not the point: that a deadlock happened, and both landed.
    assert.ok(aborted >= 1, 'PostgreSQL aborted one of them');
    const { rows } = await db.query<{ id: number; n: number }>('SELECT id, n FROM counters ORDER BY id');
    assert.deepEqual(rows, [{ id: 1, n: 2 }, { id: 2, n: 2 }], 'both writes applied, once each');
  });

  test('other errors are not retried', async () => {
    let calls = 0;
    await assert.rejects(withDeadlockRetry(async () => {
      calls++;
      await db.query('SELECT * FROM no_such_table');
    }), /no_such_table/);
    assert.equal(calls, 1, 'one call');
  });

  // The bench found every callback stalling a second every few seconds: PostgreSQL only detects a
  // deadlock after deadlock_timeout (1 s). The statements that write many messages now lock them in
  // id order, so they never deadlock, whatever order their input comes in (no retry needed).
  test('callback batches (from two instances) and the text fetcher batch never deadlock over shared messages', async () => {
    const phone = '+573000000001';
    for (let round = 0; round < 15; round++) {
      const { rows } = await db.query<{ id: string; sid: string }>(
        `INSERT INTO messages (sid, conversation_id, direction, source, captured_via, status)
         SELECT 'SM' || md5(random()::text), (SELECT id FROM conversations LIMIT 1), 'outbound', 'external', 'callback', 'queued'
         FROM generate_series(1, 200) RETURNING id, sid`,
      );
      const at = new Date();
      const advance = (status: 'sent' | 'delivered', order: typeof rows) => messageRepository.recordStatusBatch(db, order.map((r) => ({
        sid: r.sid, phone, senderAddress: 'whatsapp:+14155238886', u: { status, errorCode: null, errorMessage: null, at },
        messageId: null, businessAddress: 'whatsapp:+14155238886', messagingServiceSid: null, body: null, bodyPending: true, createdAt: at, fetchJob: null,
      })), { via: 'callback', raise: true });
      const reversed = [...rows].reverse();
      const results = await Promise.allSettled([
        advance('sent', rows),
        advance('delivered', reversed),
        messageRepository.applyFetchedContent(db, [...rows.slice(100), ...rows.slice(0, 100)].map((r) => ({ id: r.id, jobId: '0', body: `texto ${r.sid}`, u: null }))),
      ]);
      for (const r of results) if (r.status === 'rejected') assert.fail(`round ${round}: ${(r.reason as Error).message}`);
      const { rows: [check] } = await db.query<{ delivered: string; with_text: string }>(
        `SELECT count(*) FILTER (WHERE status = 'delivered') AS delivered, count(*) FILTER (WHERE body LIKE 'texto %') AS with_text FROM messages WHERE sid = ANY($1)`,
        [rows.map((r) => r.sid)],
      );
      assert.deepEqual(check, { delivered: '200', with_text: '200' }, 'every write applied');
    }
  });
});
