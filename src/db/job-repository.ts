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

/** Messages sent from one address whose fetch jobs wait: how many, and when the first and last came in. */
export interface PendingSpan {
  /** Our side (whatsapp:+57...), null when the callback did not say. */
  sender: string | null;
  count: number;
  firstAt: Date;
  lastAt: Date;
}

/** A waiting fetch job of an outbound message, found by the message's SID. */
export interface PendingBySid extends Job {
  created_at: Date;
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

  /** How many jobs of `kind` are due and unclaimed, counted up to `upTo` (enough to compare with it). */
  async countDue(q: Queryable, kind: string, upTo: number): Promise<number> {
    const { rows } = await q.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (
         SELECT 1 FROM jobs WHERE kind = $1 AND run_at <= now() AND (locked_until IS NULL OR locked_until < now()) LIMIT $2) due`,
      [kind, upTo],
      { prepare: true },
    );
    return rows[0]!.n;
  },

  /** The due, unclaimed jobs of `kind` on outbound messages, per sender, the largest group first. */
  async pendingSpans(q: Queryable, kind: string): Promise<PendingSpan[]> {
    const { rows } = await q.query<{ sender: string | null; n: number; first_at: Date; last_at: Date }>(
      `SELECT m.business_address AS sender, count(*)::int AS n, min(m.created_at) AS first_at, max(m.created_at) AS last_at
       FROM jobs j JOIN messages m ON m.id = j.message_id
       WHERE j.kind = $1 AND j.run_at <= now() AND (j.locked_until IS NULL OR j.locked_until < now())
         AND m.direction = 'outbound' AND m.sid IS NOT NULL
       GROUP BY m.business_address ORDER BY n DESC`,
      [kind],
    );
    return rows.map((r) => ({ sender: r.sender, count: r.n, firstAt: new Date(r.first_at), lastAt: new Date(r.last_at) }));
  },

  /** The jobs of `kind` waiting on the outbound messages with these SIDs (claimed or not: a fill makes them moot). */
  async pendingBySid(q: Queryable, kind: string, sids: string[]): Promise<PendingBySid[]> {
    const { rows } = await q.query<PendingBySid>(
      `SELECT j.id, j.kind, j.message_id, j.attempts, m.sid, m.content_sid, m.content_variables, m.created_at
       FROM messages m JOIN jobs j ON j.message_id = m.id AND j.kind = $1
       WHERE m.sid = ANY($2::text[]) AND m.direction = 'outbound'`,
      [kind, sids],
      { prepare: true },
    );
    return rows;
  },
};
