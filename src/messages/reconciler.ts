import { randomUUID } from 'node:crypto';
import { checkpointRepository, leaseRepository } from '../db/settings-repository.ts';
import type { InboxContext } from './context.ts';
import { reconcileRange, type ReconcileCounts } from './reconcile.ts';

const CHECKPOINT = 'reconcile_since';
// Listing starts a little before the last run: a message sent while that run was listing is not
// missed. Duplicates cost nothing (everything is keyed by SID).
const OVERLAP_MS = 10 * 60_000;

export interface Reconciler {
  runOnce(): Promise<ReconcileCounts | null>;
  stop(): Promise<void>;
}

/**
 * Every `intervalSeconds`, lists Twilio's messages since the last checkpoint and records what
 * callbacks missed (Twilio retries a failed callback at most once, so a server that was down
 * loses them). A lease in the database lets one instance at a time do it.
 */
export function startReconciler(ctx: InboxContext, intervalSeconds: number): Reconciler {
  const holder = randomUUID();
  let running: Promise<ReconcileCounts | null> | null = null;

  async function pass(): Promise<ReconcileCounts | null> {
    const leaseSeconds = Math.max(intervalSeconds * 2, 120);
    if (!(await leaseRepository.tryAcquire(ctx.db, 'reconcile', holder, leaseSeconds))) return null;
    try {
      const startedAt = new Date();
      const last = await checkpointRepository.get(ctx.db, CHECKPOINT);
      if (!last) {
        // First run ever: history is the backfill command's job; from now on nothing is missed.
        await checkpointRepository.set(ctx.db, CHECKPOINT, startedAt.toISOString());
        return { seen: 0, new: 0, updated: 0, ignored: 0 };
      }
      const since = new Date(new Date(last.value).getTime() - OVERLAP_MS);
      const counts = await reconcileRange(ctx, { since }, 'reconcile');
      await checkpointRepository.set(ctx.db, CHECKPOINT, startedAt.toISOString());
      if (counts.new || counts.updated) ctx.log.info({ ...counts, since }, 'reconciliation recorded messages that callbacks missed');
      return counts;
    } finally {
      await leaseRepository.release(ctx.db, 'reconcile', holder).catch(() => {});
    }
  }

  function runOnce() {
    running ??= pass()
      .catch((err) => {
        ctx.log.warn({ err }, 'reconciliation failed; will try again');
        return null;
      })
      .finally(() => {
        running = null;
      });
    return running;
  }

  const timer = intervalSeconds > 0 ? setInterval(() => void runOnce(), intervalSeconds * 1000) : null;
  timer?.unref();
  if (intervalSeconds > 0) setTimeout(() => void runOnce(), 1_000).unref();
  return {
    runOnce,
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
