import { checkpointRepository } from '../db/settings-repository.ts';
import type { InboxContext } from '../messages/context.ts';
import { reconcileRange, type ReconcileCounts } from '../messages/reconcile.ts';

/**
 * Imports a date range of Twilio's message list. Twilio lists newest first, so progress is the
 * oldest time reached: an interrupted run resumes from there (a minute of overlap; SIDs dedupe).
 */
export async function backfill(ctx: InboxContext, range: { since: Date; until: Date }, o: { restart: boolean; onProgress?: (c: ReconcileCounts) => void }): Promise<ReconcileCounts & { resumedFrom: Date | null }> {
  const key = `backfill:${range.since.toISOString()}:${range.until.toISOString()}`;
  const saved = o.restart ? null : await checkpointRepository.get(ctx.db, key);
  const until = saved ? new Date(Math.min(range.until.getTime(), new Date(saved.value).getTime() + 60_000)) : range.until;
  let oldest = until;
  let sinceSave = 0;
  const counts = await reconcileRange(ctx, { since: range.since, until }, 'backfill', (c, m) => {
    const at = m.dateSent ?? m.dateCreated;
    if (at && at < oldest) oldest = at;
    o.onProgress?.(c);
    sinceSave++;
    if (sinceSave >= 500) {
      sinceSave = 0;
      // Progress only: a save that fails costs a resumed run some pages again, nothing more.
      checkpointRepository.set(ctx.db, key, oldest.toISOString()).catch(() => {});
    }
  });
  await checkpointRepository.set(ctx.db, key, range.since.toISOString());
  return { ...counts, resumedFrom: saved ? until : null };
}
