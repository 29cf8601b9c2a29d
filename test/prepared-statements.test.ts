import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Database } from '../src/db/database.ts';
import { databaseKinds, openTestDatabase } from './support/databases.ts';

// The statements every callback batch runs are kept prepared (PostgreSQL parses and plans them once
// per connection; measured by `npm run bench`). The option must change how, never what.
for (const kind of databaseKinds()) {
  describe(`prepared statements (${kind})`, () => {
    let db: Database;
    let close: () => Promise<void>;
    before(async () => {
      ({ db, close } = await openTestDatabase(kind, { poolSize: 1 }));
    });
    after(() => close());

    const SQL = 'SELECT $1::int * 2 AS doubled, current_setting($2::text) AS setting';

    test('a prepared query answers like a plain one, again and again with other values', async () => {
      for (const n of [1, 2, 21]) {
        const prepared = await db.query<{ doubled: number; setting: string }>(SQL, [n, 'TimeZone'], { prepare: true });
        const plain = await db.query<{ doubled: number; setting: string }>(SQL, [n, 'TimeZone']);
        assert.deepEqual(prepared.rows, plain.rows);
        assert.equal(prepared.rows[0]!.doubled, n * 2);
      }
    });

    // PGlite has no connections to keep statements on: the option is accepted and does nothing.
    if (kind === 'postgres') test('PostgreSQL keeps it prepared on the connection (one statement, however often it runs)', async () => {
      for (let i = 0; i < 3; i++) await db.query(SQL, [i, 'TimeZone'], { prepare: true });
      // The pool has one connection: this query runs on the one that prepared it.
      const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM pg_prepared_statements WHERE statement = $1', [SQL]);
      assert.equal(Number(rows[0]!.n), 1);
    });

    test('inside a transaction too', async () => {
      const doubled = await db.transaction(async (tx) => (await tx.query<{ doubled: number }>(SQL, [5, 'TimeZone'], { prepare: true })).rows[0]!.doubled);
      assert.equal(doubled, 10);
    });
  });
}
