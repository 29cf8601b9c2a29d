import { checkpointRepository } from '../db/settings-repository.ts';
import type { InboxContext } from '../messages/context.ts';
import { reconcileRange, type ReconcileCounts } from '../messages/reconcile.ts';

/**
 * What a backfill covered, kept under a key that names its range: every message dated between
 * `reached` and `upTo` has been imported. A run lists down from `upTo`; `reached` equals `since`
 * once it is complete.
 */
interface BackfillProgress {
  upTo: string;
  reached: string;
}

// Twilio's dates have whole seconds and listing is newest first by date: a resumed listing starts
// a little above where the last one stopped. Duplicates cost nothing (everything is keyed by SID).
const OVERLAP_MS = 60_000;

export interface BackfillResult extends ReconcileCounts {
  /** Where an interrupted run was picked up (null: there was none). */
  resumedFrom: Date | null;
  /** Without --until, a range done before is brought up to now from here (null: a first run). */
  caughtUpFrom: Date | null;
}

/**
 * The checkpoint's name. Without --until the range ends "now", which moves: keying on it would
 * make every run a new one, so the key holds `since` only and the progress says how far up it went.
 */
export const backfillKey = (range: { since: Date; until?: Date }) =>
  `backfill:${range.since.toISOString()}${range.until ? `:${range.until.toISOString()}` : ''}`;

function parseProgress(value: string, until: Date | undefined): BackfillProgress | null {
  try {
    const p = JSON.parse(value) as Partial<BackfillProgress>;
    if (typeof p.upTo === 'string' && typeof p.reached === 'string') return { upTo: p.upTo, reached: p.reached };
  } catch {
    // Written by an older version: the time reached, with --until as the top.
    if (until && !Number.isNaN(new Date(value).getTime())) return { upTo: until.toISOString(), reached: value };
  }
  return null;
}

/**
 * Imports a date range of Twilio's message list. Progress is saved after each page, so an
 * interrupted run resumes where it stopped, with or without --until. Without --until, running
 * again a range that was completed imports what arrived since it last ran.
 */
export async function backfill(
  ctx: InboxContext,
  range: { since: Date; until?: Date },
  o: { restart: boolean; pageSize?: number; onProgress?: (c: ReconcileCounts) => void },
): Promise<BackfillResult> {
  const key = backfillKey(range);
  const pageSize = o.pageSize ?? 1000;
  const now = new Date();
  const stored = o.restart ? null : await checkpointRepository.get(ctx.db, key);
  const saved = stored ? parseProgress(stored.value, range.until) : null;
  const total: ReconcileCounts = { seen: 0, new: 0, updated: 0, ignored: 0 };
  const result: BackfillResult = { ...total, resumedFrom: null, caughtUpFrom: null };

  /** Lists [since, until] newest first, saving after each page how far down it got. */
  async function walk(since: Date, until: Date, save: ((reached: Date) => Promise<void>) | null) {
    let oldest = until;
    const counts = await reconcileRange(ctx, { since, until, pageSize }, 'backfill', async (c, m) => {
      const at = m.dateSent ?? m.dateCreated;
      if (at && at < oldest) oldest = at;
      o.onProgress?.({ seen: total.seen + c.seen, new: total.new + c.new, updated: total.updated + c.updated, ignored: total.ignored + c.ignored });
      // Progress only: a save that fails costs a resumed run some pages again, nothing more.
      if (save && c.seen % pageSize === 0) await save(oldest).catch(() => {});
    });
    total.seen += counts.seen;
    total.new += counts.new;
    total.updated += counts.updated;
    total.ignored += counts.ignored;
  }
  const saveProgress = (upTo: Date) => (reached: Date) => checkpointRepository.set(ctx.db, key, JSON.stringify({ upTo: upTo.toISOString(), reached: reached.toISOString() }));

  let upTo = saved ? new Date(saved.upTo) : (range.until ?? now);
  if (!saved || new Date(saved.reached) > range.since) {
    // A first run, or the rest of an interrupted one.
    const top = saved ? new Date(Math.min(upTo.getTime(), new Date(saved.reached).getTime() + OVERLAP_MS)) : upTo;
    if (saved) result.resumedFrom = top;
    await walk(range.since, top, saveProgress(upTo));
  }
  if (!range.until && saved && upTo < now) {
    // Done before: what arrived since. An interruption here leaves the checkpoint as it was, and
    // the next run lists this (short) stretch again.
    result.caughtUpFrom = new Date(Math.max(range.since.getTime(), upTo.getTime() - OVERLAP_MS));
    await walk(result.caughtUpFrom, now, null);
    upTo = now;
  }
  await saveProgress(upTo)(range.since);
  return { ...result, ...total };
}
