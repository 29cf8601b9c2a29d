import type { Queryable } from './database.ts';

/**
 * The log behind "messages changed after seq N" (message_changes, migration 015): every statement
 * that moves a message's seq adds a row through a trigger. Only each message's latest row is ever
 * read, so the earlier ones are removed here, a range of the log at a time, behind a cursor.
 */
export const messageChangeLog = {
  /**
   * Removes the superseded rows (their message has a newer seq, or is gone) among the `limit` log
   * rows after seq `after`. Resolves with the last seq looked at (null: nothing after `after`) and
   * how many went.
   */
  async pruneAfter(q: Queryable, after: number, limit: number): Promise<{ last: number | null; looked: number; removed: number }> {
    const { rows } = await q.query<{ last: string | null; looked: number; removed: number }>(
      `WITH chunk AS (SELECT seq, message_id FROM message_changes WHERE seq > $1 ORDER BY seq LIMIT $2),
       gone AS (
         DELETE FROM message_changes c USING chunk k
         WHERE c.seq = k.seq AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = k.message_id AND m.seq = k.seq)
         RETURNING 1
       )
       SELECT (SELECT max(seq) FROM chunk) AS last, (SELECT count(*) FROM chunk)::int AS looked, (SELECT count(*) FROM gone)::int AS removed`,
      [after, limit],
    );
    const r = rows[0]!;
    return { last: r.last === null ? null : Number(r.last), looked: r.looked, removed: r.removed };
  },

  /**
   * Makes the space of removed rows reusable. Autovacuum does it where it runs; PGlite has none,
   * and without it the log's table would keep every row it ever held. SKIP_LOCKED: another
   * instance's vacuum of it is under way.
   */
  async vacuum(q: Queryable): Promise<void> {
    await q.query('VACUUM (SKIP_LOCKED) message_changes');
  },
};
