import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { withDeadlockRetry, type Database } from '../src/db/database.ts';
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
    assert.equal(aborted, 1, 'PostgreSQL aborted one of them once');
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
});
