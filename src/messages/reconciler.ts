import { randomUUID } from 'node:crypto';
import { checkpointRepository, leaseRepository } from '../db/settings-repository.ts';
import type { InboxContext } from './context.ts';
import { reconcileRange, type ReconcileCounts } from './reconcile.ts';
import { recheckStatuses, type RecheckCounts } from './status-recheck.ts';
import { startPeriodicPass, type PeriodicPass } from './periodic-pass.ts';

const CHECKPOINT = 'reconcile_since';
/** What the last pass of any instance did (JSON of LastReconcilePass), for `doctor`. */
export const LAST_PASS_CHECKPOINT = 'reconcile_last_pass';
// Listing starts a little before the last run: a message sent while that run was listing is not
// missed. Duplicates cost nothing (everything is keyed by SID).
const OVERLAP_MS = 10 * 60_000;

export interface ReconcilePass extends ReconcileCounts {
  recheck: RecheckCounts;
}

export interface LastReconcilePass extends ReconcilePass {
  /** When the pass ended (ISO). */
  at: string;
}

const NO_RECHECK: RecheckCounts = { checked: 0, advanced: 0, gone: 0, failed: 0 };

/** A pass resolves with what it did; null when another instance holds the lease or the pass failed. */
export type Reconciler = PeriodicPass<ReconcilePass | null>;

/**
 * Every `intervalSeconds`, lists Twilio's messages since the last checkpoint and records what
 * callbacks missed (Twilio retries a failed callback at most once, so a server that was down
 * loses them), then fetches again a few older messages whose status can still advance (their
 * `read` may come days later, long after the list has moved on). A lease in the database lets one
 * instance at a time do it.
 */
export function startReconciler(
  ctx: InboxContext,
  intervalSeconds: number,
  recheck: { perPass: number; maxAgeDays: number } = { perPass: 100, maxAgeDays: 30 },
): Reconciler {
  const holder = randomUUID();

  async function pass(): Promise<ReconcilePass | null> {
    const leaseSeconds = Math.max(intervalSeconds * 2, 120);
    if (!(await leaseRepository.tryAcquire(ctx.db, 'reconcile', holder, leaseSeconds))) return null;
    try {
      const startedAt = new Date();
      const last = await checkpointRepository.get(ctx.db, CHECKPOINT);
      let result: ReconcilePass;
      if (!last) {
        // First run ever: history is the backfill command's job; from now on nothing is missed.
        await checkpointRepository.set(ctx.db, CHECKPOINT, startedAt.toISOString());
        result = { seen: 0, new: 0, updated: 0, ignored: 0, recheck: NO_RECHECK };
      } else {
        const since = new Date(new Date(last.value).getTime() - OVERLAP_MS);
        const counts = await reconcileRange(ctx, { since }, 'reconcile');
        await checkpointRepository.set(ctx.db, CHECKPOINT, startedAt.toISOString());
        if (counts.new || counts.updated) ctx.log.info({ ...counts, since }, 'reconciliation recorded messages that callbacks missed');
        const rechecked = await recheckStatuses(ctx, { limit: recheck.perPass, maxAgeDays: recheck.maxAgeDays, createdBefore: since });
        if (rechecked.advanced || rechecked.failed) ctx.log.info(rechecked, 'reconciliation re-checked older messages at Twilio');
        result = { ...counts, recheck: rechecked };
      }
      const lastPass: LastReconcilePass = { ...result, at: new Date().toISOString() };
      // For doctor only: a save that fails loses nothing of the pass.
      await checkpointRepository.set(ctx.db, LAST_PASS_CHECKPOINT, JSON.stringify(lastPass)).catch(() => {});
      return result;
    } finally {
      await leaseRepository.release(ctx.db, 'reconcile', holder).catch(() => {});
    }
  }

  // A first pass a second after start: what arrived while the server was down comes in at once.
  return startPeriodicPass({
    pass, everyMs: intervalSeconds > 0 ? intervalSeconds * 1000 : null, firstAfterMs: intervalSeconds > 0 ? 1_000 : undefined,
    failed: null, what: 'reconciliation', log: ctx.log,
  });
}
