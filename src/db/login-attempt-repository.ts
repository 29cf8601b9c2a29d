import type { Queryable } from './database.ts';

/** An attempt refused before the password is checked, and for how long. */
export interface LoginRefusal { retryAfterSeconds: number }

export interface AddressBudget { maxFailures: number; windowSeconds: number }
export interface AccountLockout { maxFailures: number; baseLockSeconds: number; maxLockSeconds: number; forgetSeconds: number }

// Both counters are taken before the password is checked and given back on success, in one upsert
// each: two instances (or two requests) racing on one address or email each take their own slot,
// so a burst of parallel attempts cannot slip past the limit. A refused attempt writes nothing.
// The outer SELECT reads the row as it was before the upsert (one snapshot): the row that refused.
const waitOf = (refused: { counted: boolean; wait: number | null }): LoginRefusal | null =>
  refused.counted ? null : { retryAfterSeconds: Math.max(1, refused.wait ?? 1) };

const WINDOW_OVER = 'f.window_start <= now() - make_interval(secs => $3)';
const RESERVE_ADDRESS = `
  WITH counted AS (
    INSERT INTO login_address_failures AS f (address, failures, window_start) VALUES ($1, 1, now())
    ON CONFLICT (address) DO UPDATE SET
      failures = CASE WHEN ${WINDOW_OVER} THEN 1 ELSE f.failures + 1 END,
      window_start = CASE WHEN ${WINDOW_OVER} THEN now() ELSE f.window_start END
    WHERE ${WINDOW_OVER} OR f.failures < $2
    RETURNING 1
  )
  SELECT EXISTS (SELECT 1 FROM counted) AS counted,
    (SELECT ceil(extract(epoch FROM window_start + make_interval(secs => $3) - now()))::int
       FROM login_address_failures WHERE address = $1) AS wait`;

// An account's failures since its last success (forgotten after $5 s without one); from the $2-th
// on, each locks the account for $3 s doubled per further failure, at most $4 s.
const NEXT_COUNT = 'CASE WHEN f.last_failure_at <= now() - make_interval(secs => $5) THEN 1 ELSE f.failures + 1 END';
const lockAfter = (count: string) =>
  `CASE WHEN ${count} >= $2 THEN now() + make_interval(secs => least($3 * power(2, least(${count} - $2, 30)), $4)) END`;
const RESERVE_ACCOUNT = `
  WITH counted AS (
    INSERT INTO login_account_failures AS f (email_hash, failures, last_failure_at, locked_until)
    VALUES ($1, 1, now(), ${lockAfter('1')})
    ON CONFLICT (email_hash) DO UPDATE SET
      failures = ${NEXT_COUNT}, last_failure_at = now(), locked_until = ${lockAfter(`(${NEXT_COUNT})`)}
    WHERE f.locked_until IS NULL OR f.locked_until <= now()
    RETURNING 1
  )
  SELECT EXISTS (SELECT 1 FROM counted) AS counted,
    (SELECT ceil(extract(epoch FROM locked_until - now()))::int FROM login_account_failures WHERE email_hash = $1) AS wait`;

export const loginAttemptRepository = {
  /** Counts one attempt from `address` in its window; a refusal (nothing counted) once the window's budget is spent. */
  async reserveAddress(q: Queryable, address: string, b: AddressBudget): Promise<LoginRefusal | null> {
    const { rows } = await q.query<{ counted: boolean; wait: number | null }>(RESERVE_ADDRESS, [address, b.maxFailures, b.windowSeconds]);
    return waitOf(rows[0]!);
  },

  /** Gives back an attempt counted by reserveAddress (it succeeded, or was refused for the account). */
  async releaseAddress(q: Queryable, address: string): Promise<void> {
    await q.query('UPDATE login_address_failures SET failures = failures - 1 WHERE address = $1 AND failures > 0', [address]);
  },

  /** Counts one attempt on an account, locking it from the limit on; a refusal (nothing counted) while it is locked. */
  async reserveAccount(q: Queryable, emailHash: string, l: AccountLockout): Promise<LoginRefusal | null> {
    const { rows } = await q.query<{ counted: boolean; wait: number | null }>(
      RESERVE_ACCOUNT, [emailHash, l.maxFailures, l.baseLockSeconds, l.maxLockSeconds, l.forgetSeconds],
    );
    return waitOf(rows[0]!);
  },

  /** A successful login: the account starts again from no failures. */
  async forgetAccount(q: Queryable, emailHash: string): Promise<void> {
    await q.query('DELETE FROM login_account_failures WHERE email_hash = $1', [emailHash]);
  },

  /** Deletes rows whose window is over or whose failures are forgotten: they no longer count. */
  async prune(q: Queryable, o: { addressWindowSeconds: number; accountForgetSeconds: number }): Promise<void> {
    await q.query('DELETE FROM login_address_failures WHERE window_start < now() - make_interval(secs => $1)', [o.addressWindowSeconds]);
    await q.query(
      'DELETE FROM login_account_failures WHERE last_failure_at < now() - make_interval(secs => $1) AND (locked_until IS NULL OR locked_until < now())',
      [o.accountForgetSeconds],
    );
  },
};
