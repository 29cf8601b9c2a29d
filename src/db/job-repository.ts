import type { Queryable } from './database.ts';

export interface Job {
  id: string;
  kind: string;
  message_id: string;
  attempts: number;
  /** What the worker needs of the message, read in the same statement that claims the job. */
  sid: string | null;
  content_sid: string | null;
  content_variables: Record<string, string> | null;
}

export const jobRepository = {
  /**
   * Claims due jobs for `leaseSeconds`. SKIP LOCKED lets several workers (or instances) claim at
   * once without taking the same job; a worker that dies leaves a lease that simply expires.
   */
  async claimDue(q: Queryable, limit: number, leaseSeconds: number): Promise<Job[]> {
    const { rows } = await q.query<Job>(
      `UPDATE jobs j SET locked_until = now() + make_interval(secs => $2), attempts = j.attempts + 1
       FROM messages m
       WHERE m.id = j.message_id AND j.id IN (
         SELECT id FROM jobs WHERE run_at <= now() AND (locked_until IS NULL OR locked_until < now())
         ORDER BY run_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING j.id, j.kind, j.message_id, j.attempts, m.sid, m.content_sid, m.content_variables`,
      [limit, leaseSeconds],
      { prepare: true },
    );
    return rows;
  },

  async complete(q: Queryable, id: string): Promise<void> {
    await q.query('DELETE FROM jobs WHERE id = $1', [id]);
  },

  async retryLater(q: Queryable, id: string, delaySeconds: number, error: string): Promise<void> {
    await q.query(
      `UPDATE jobs SET run_at = now() + make_interval(secs => $2), locked_until = NULL, last_error = $3 WHERE id = $1`,
      [id, delaySeconds, error.slice(0, 1000)],
    );
  },
};
