import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { Database } from '../src/db/database.ts';
import { ENSURE_CONVERSATIONS } from '../src/db/ensure-conversations.ts';
import { startPlannerStatistics, type PlannerStatisticsUpkeep } from '../src/messages/planner-statistics-upkeep.ts';
import { databaseKinds, openTestDatabase } from './support/databases.ts';

// The bench's campaign all from outside started its server on empty tables: the status batch,
// prepared on the first callbacks, kept its plan for empty tables (a sequential scan of contacts
// for every new customer) through the whole campaign, because nothing analysed the tables
// (PGlite has no autovacuum; the bench's PostgreSQL ran without it). PostgreSQL took 1.6 ms a callback.
const OURS = 'whatsapp:+573001112233';
const PROBE = `WITH wanted AS (SELECT DISTINCT phone, '${OURS}'::text AS address FROM unnest($1::text[]) AS w(phone)), ${ENSURE_CONVERSATIONS} SELECT * FROM ensured`;
const silent = { warn() {} };

for (const kind of databaseKinds()) {
  describe(`planner statistics kept up with the tables' growth (${kind})`, () => {
    let db: Database;
    let url: string | null;
    let close: () => Promise<void>;
    let upkeep: PlannerStatisticsUpkeep;
    // One connection: the statement prepared on it is the one a server's connection keeps.
    before(async () => {
      ({ db, url, close } = await openTestDatabase(kind, { poolSize: 1 }));
      await db.exec(`INSERT INTO senders (address) VALUES ('${OURS}') ON CONFLICT DO NOTHING`);
      upkeep = startPlannerStatistics(db, silent, 3_600_000);
    });
    after(async () => {
      await upkeep.stop();
      await close();
    });

    const probePlan = async () => {
      const { rows } = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE ensure_probe(ARRAY['+573100000001', '+573100000002', '+573199999999'])`);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    };

    test('small tables are left alone', async () => {
      assert.deepEqual(await upkeep.runOnce(), []);
    });

    test('a statement prepared on empty tables is planned again for their size once they have grown', async () => {
      await db.query('SET plan_cache_mode = force_generic_plan');
      await db.query(`PREPARE ensure_probe(text[]) AS ${PROBE}`);
      try {
        const empty = await probePlan();
        assert.match(empty, /Seq Scan on contacts/, 'on empty tables the look-up reads all contacts (what the campaign kept)');
        // A campaign's first thousands of new customers.
        await db.exec(`INSERT INTO contacts (phone) SELECT '+573' || (100000000 + g) FROM generate_series(1, 15000) g;
          INSERT INTO conversations (contact_id, sender_id) SELECT k.id, s.id FROM contacts k, senders s WHERE s.address = '${OURS}';`);
        const analysed = await upkeep.runOnce();
        const grown = await probePlan();
        assert.doesNotMatch(grown, /Seq Scan on contacts/);
        assert.match(grown, /contacts_phone_key/);
        assert.ok(analysed.includes('contacts') && analysed.includes('conversations'), `analysed: ${analysed.join(', ')}`);
      } finally {
        await db.query('DEALLOCATE ensure_probe');
        await db.query('RESET plan_cache_mode');
      }
    });

    test('a table is analysed again only once it has doubled', async () => {
      const { rows } = await db.query<{ reltuples: number }>(`SELECT reltuples::float8 AS reltuples FROM pg_class WHERE oid = 'contacts'::regclass`);
      assert.equal(rows[0]!.reltuples, 15000);
      await db.exec(`INSERT INTO contacts (phone) SELECT '+574' || (100000000 + g) FROM generate_series(1, 1000) g`);
      assert.deepEqual(await upkeep.runOnce(), []);
      await db.exec(`INSERT INTO contacts (phone) SELECT '+575' || (100000000 + g) FROM generate_series(1, 15000) g`);
      assert.deepEqual(await upkeep.runOnce(), ['contacts']);
    });

    // An ANALYZE PostgreSQL skips (here: another session holds the table; also a role that does not
    // own it) leaves the statistics as they were: it is not asked for again every 2 s. PostgreSQL
    // only: PGlite has one connection, so no other session can hold the table.
    if (kind === 'postgres') test('a table whose ANALYZE was skipped is tried again only once it has doubled again', async () => {
      const other = new pg.Client({ connectionString: url! });
      await other.connect();
      try {
        await db.exec(`CREATE TABLE growth_probe (n int); INSERT INTO growth_probe SELECT g FROM generate_series(1, 10000) g`);
        await other.query(`BEGIN; LOCK TABLE growth_probe IN SHARE UPDATE EXCLUSIVE MODE`);
        assert.deepEqual(await upkeep.runOnce(), ['growth_probe']);
        await other.query('COMMIT');
        const { rows } = await db.query<{ reltuples: number }>(`SELECT reltuples::float8 AS reltuples FROM pg_class WHERE oid = 'growth_probe'::regclass`);
        assert.equal(rows[0]!.reltuples, -1, 'skipped: never analysed');
        assert.deepEqual(await upkeep.runOnce(), []);
      } finally {
        await other.end();
        await db.exec('DROP TABLE IF EXISTS growth_probe');
      }
    });
  });
}
