import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Database } from '../src/db/database.ts';
import { ENSURE_CONVERSATIONS } from '../src/db/ensure-conversations.ts';
import { databaseKinds, openTestDatabase } from './support/databases.ts';

// The bench found each callback batch with new customers spending milliseconds in the search's
// trigram index on contacts.phone: on a table not yet analysed, the planner priced that index below
// the unique btree for `phone = ...`, and every look-up read the index's whole pending list
// (migration 014 moved that index onto the phone's digits). The batch statements are prepared, so
// what matters is the generic plan.
const OURS = 'whatsapp:+573001112233';

for (const kind of databaseKinds()) {
  describe(`finding customers' conversations by phone (${kind})`, () => {
    let db: Database;
    let close: () => Promise<void>;
    before(async () => {
      ({ db, close } = await openTestDatabase(kind, { poolSize: 1 }));
      // 15,000 contacts written at once and never analysed (a campaign's first minutes on a new install): the old look-up took the trigram index here.
      await db.exec(`INSERT INTO senders (address) VALUES ('${OURS}') ON CONFLICT DO NOTHING;
        INSERT INTO contacts (phone) SELECT '+573' || (100000000 + g) FROM generate_series(1, 15000) g;
        INSERT INTO conversations (contact_id, sender_id) SELECT k.id, s.id FROM contacts k, senders s WHERE s.address = '${OURS}';`);
    });
    after(() => close());

    test('the prepared look-up reads the unique index on phone, not the trigram search index', async () => {
      const plan = await db.transaction(async (tx) => {
        await tx.query('SET LOCAL plan_cache_mode = force_generic_plan');
        await tx.query(`PREPARE ensure_probe(text[]) AS WITH wanted AS (SELECT DISTINCT phone, '${OURS}'::text AS address FROM unnest($1::text[]) AS w(phone)), ${ENSURE_CONVERSATIONS} SELECT * FROM ensured`);
        const { rows } = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE ensure_probe(ARRAY['+573100000001', '+573100000002', '+573199999999'])`);
        await tx.query('DEALLOCATE ensure_probe');
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
      assert.doesNotMatch(plan, /contacts_phone_digits_search/);
      assert.match(plan, /contacts_phone_key/);
    });

    test('no index but the unique btree is on the phone column itself (an index there could answer phone = ...)', async () => {
      const { rows } = await db.query<{ name: string }>(
        `SELECT i.relname AS name FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attname = 'phone'
         WHERE x.indrelid = 'contacts'::regclass AND a.attnum = ANY (x.indkey::int2[]) ORDER BY 1`,
      );
      assert.deepEqual(rows.map((r) => r.name), ['contacts_phone_key']);
    });

    test('it still finds the known customers and creates the new one', async () => {
      const { rows } = await db.query<{ phone: string; id: string }>(
        `WITH wanted AS (SELECT DISTINCT phone, '${OURS}'::text AS address FROM unnest($1::text[]) AS w(phone)), ${ENSURE_CONVERSATIONS} SELECT phone, id FROM ensured ORDER BY phone`,
        [['+573100000001', '+573100000002', '+573199999999']],
      );
      assert.deepEqual(rows.map((r) => r.phone), ['+573100000001', '+573100000002', '+573199999999']);
      const { rows: stored } = await db.query<{ id: string; phone: string }>(
        `SELECT c.id, k.phone FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE k.phone = ANY($1::text[]) ORDER BY k.phone`,
        [rows.map((r) => r.phone)],
      );
      assert.deepEqual(stored, rows.map((r) => ({ id: r.id, phone: r.phone })), 'one conversation each, the ones returned');
    });
  });
}
