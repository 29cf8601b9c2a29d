import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Database } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { databaseKinds, openTestDatabase } from './support/databases.ts';

// Migration 013 gives every existing conversation a sender: the configured number, or the number
// its messages went through; a customer who wrote to two numbers ends with two conversations.
const CONFIGURED = 'whatsapp:+14155238886';
const OTHER = 'whatsapp:+573001110000';

/** Rows written in the schema before 013 (no senders), as the server then wrote them. */
async function seedOldSchema(db: Database) {
  const one = async <T>(sql: string, params: unknown[] = []) => (await db.query<T>(sql, params)).rows[0]!;
  const user = await one<{ id: string }>(`INSERT INTO users (email, name, password_hash, role) VALUES ('a@x.test', 'Ana', 'x', 'agent') RETURNING id`);
  const conversation = async (phone: string, unread: number) => {
    const k = await one<{ id: string }>('INSERT INTO contacts (phone) VALUES ($1) RETURNING id', [phone]);
    return (await one<{ id: string }>(
      `INSERT INTO conversations (contact_id, unread_count, assignee_id, status) VALUES ($1, $2, $3, 'open') RETURNING id`, [k.id, unread, user.id],
    )).id;
  };
  let minute = 0;
  const message = async (conversationId: string, direction: 'inbound' | 'outbound', address: string | null, body: string) => {
    const at = new Date(Date.UTC(2026, 10, 1, 12, minute++));
    const m = await one<{ id: string }>(
      `INSERT INTO messages (sid, conversation_id, direction, source, captured_via, status, body, business_address, created_at)
       VALUES ($1, $2, $3, $4, 'webhook', $5, $6, $7, $8) RETURNING id`,
      ['SM' + String(minute).padStart(32, '0'), conversationId, direction, direction === 'inbound' ? 'inbound' : 'external',
        direction === 'inbound' ? 'received' : 'sent', body, address, at],
    );
    await db.query('UPDATE conversations SET last_message_id = $2, last_message_at = $3, last_inbound_at = CASE WHEN $4 THEN $3 ELSE last_inbound_at END WHERE id = $1',
      [conversationId, m.id, at, direction === 'inbound']);
    return m.id;
  };
  // Wrote to both numbers; the two newest inbound messages (one per number) are unread.
  const both = await conversation('+573000000001', 2);
  await message(both, 'inbound', CONFIGURED, 'uno-a');
  await message(both, 'outbound', null, 'respuesta sin número');
  await message(both, 'inbound', OTHER, 'dos-a');
  await message(both, 'outbound', OTHER, 'dos-b');
  await message(both, 'inbound', CONFIGURED, 'uno-b');
  await message(both, 'inbound', OTHER, 'dos-c');
  await db.query(`INSERT INTO notes (conversation_id, author_id, body) VALUES ($1, $2, 'nota interna')`, [both, user.id]);
  // Only ever the other number.
  const onlyOther = await conversation('+573000000002', 1);
  await message(onlyOther, 'inbound', OTHER, 'solo dos');
  // Nothing says which number (panel sends through a service): the configured one.
  const unknown = await conversation('+573000000003', 0);
  await message(unknown, 'outbound', null, 'sin número');
  // No messages at all (a new chat whose send failed before it was written).
  const empty = await conversation('+573000000004', 0);
  return { both, onlyOther, unknown, empty };
}

for (const kind of databaseKinds()) {
  describe(`migration 013: senders for existing conversations (${kind})`, () => {
    let db: Database;
    let close: () => Promise<void>;
    let seeded: Awaited<ReturnType<typeof seedOldSchema>>;
    before(async () => {
      ({ db, close } = await openTestDatabase(kind, { empty: true }));
      await migrate(db, { before: '013' });
      seeded = await seedOldSchema(db);
      const applied = await migrate(db, { defaultSender: CONFIGURED });
      assert.ok(applied.some((f) => f.startsWith('013.')), applied.join());
    });
    after(() => close());

    const conversationsOf = async (phone: string) => (await db.query<{
      id: string; address: string; unread_count: number; last_body: string; last_inbound_at: Date | null; assignee_id: string | null; status: string; bodies: string[];
    }>(
      `SELECT c.id, s.address, c.unread_count, lm.body AS last_body, c.last_inbound_at, c.assignee_id, c.status,
         (SELECT array_agg(m.body ORDER BY m.created_at) FROM messages m WHERE m.conversation_id = c.id) AS bodies
       FROM conversations c JOIN contacts k ON k.id = c.contact_id JOIN senders s ON s.id = c.sender_id
       LEFT JOIN messages lm ON lm.id = c.last_message_id WHERE k.phone = $1 ORDER BY s.address`,
      [phone],
    )).rows;

    test('both numbers become senders', async () => {
      const { rows } = await db.query<{ address: string }>('SELECT address FROM senders ORDER BY address');
      assert.deepEqual(rows.map((r) => r.address), [CONFIGURED, OTHER].sort());
    });

    test('a customer who wrote to two numbers gets two conversations, each with its own messages, unread and last message', async () => {
      const rows = await conversationsOf('+573000000001');
      assert.equal(rows.length, 2);
      const mine = rows.find((r) => r.address === CONFIGURED)!;
      const theirs = rows.find((r) => r.address === OTHER)!;
      assert.equal(mine.id, seeded.both, 'the configured number keeps the conversation (and its notes)');
      assert.deepEqual(mine.bodies, ['uno-a', 'respuesta sin número', 'uno-b']);
      assert.deepEqual(theirs.bodies, ['dos-a', 'dos-b', 'dos-c']);
      assert.deepEqual([mine.unread_count, theirs.unread_count], [1, 1]);
      assert.deepEqual([mine.last_body, theirs.last_body], ['uno-b', 'dos-c']);
      assert.ok(mine.last_inbound_at && theirs.last_inbound_at);
      assert.equal(theirs.assignee_id, mine.assignee_id, 'the split part keeps the assignee');
      const notes = await db.query<{ conversation_id: string }>('SELECT conversation_id FROM notes');
      assert.deepEqual(notes.rows.map((n) => n.conversation_id), [seeded.both]);
    });

    test('a conversation only ever with the other number moves to it; unknown and empty ones to the configured one', async () => {
      const onlyOther = await conversationsOf('+573000000002');
      assert.deepEqual(onlyOther.map((r) => [r.id, r.address, r.unread_count]), [[seeded.onlyOther, OTHER, 1]]);
      assert.deepEqual((await conversationsOf('+573000000003')).map((r) => [r.id, r.address]), [[seeded.unknown, CONFIGURED]]);
      assert.deepEqual((await conversationsOf('+573000000004')).map((r) => [r.id, r.address]), [[seeded.empty, CONFIGURED]]);
    });

    test('one conversation per customer and sender, never without a sender', async () => {
      const { rows } = await db.query<{ id: string }>('SELECT id FROM senders WHERE address = $1', [CONFIGURED]);
      const contact = (await db.query<{ id: string }>(`SELECT id FROM contacts WHERE phone = '+573000000001'`)).rows[0]!;
      await assert.rejects(db.query('INSERT INTO conversations (contact_id, sender_id) VALUES ($1, $2)', [contact.id, rows[0]!.id]), /unique|duplicate/i);
      await assert.rejects(db.query('INSERT INTO conversations (contact_id) VALUES ($1)', [contact.id]), /null/i);
    });
  });

  describe(`migration 013 without a configured number (${kind})`, () => {
    test('an empty database migrates; existing conversations take the number their messages name', async () => {
      const { db, close } = await openTestDatabase(kind, { empty: true });
      try {
        await migrate(db, { before: '013' });
        const k = (await db.query<{ id: string }>(`INSERT INTO contacts (phone) VALUES ('+573000000009') RETURNING id`)).rows[0]!;
        const c = (await db.query<{ id: string }>('INSERT INTO conversations (contact_id) VALUES ($1) RETURNING id', [k.id])).rows[0]!;
        await db.query(`INSERT INTO messages (sid, conversation_id, direction, source, captured_via, status, business_address) VALUES ('SM1', $1, 'inbound', 'inbound', 'webhook', 'received', $2)`, [c.id, OTHER]);
        await migrate(db);
        const { rows } = await db.query<{ address: string }>('SELECT s.address FROM conversations c JOIN senders s ON s.id = c.sender_id');
        assert.deepEqual(rows.map((r) => r.address), [OTHER]);
      } finally {
        await close();
      }
    });
  });
}
