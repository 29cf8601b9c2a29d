import type { Queryable } from '../db/database.ts';
import { messageChangeLog } from '../db/message-change-log.ts';
import { startPeriodicPass, type PeriodicPass } from './periodic-pass.ts';

const EVERY_MS = 10_000;
// Log rows per statement, and statements per pass: a pass keeps up with 50,000 changes a second
// and never holds its locks long; a first pass after start walks the whole log over several passes.
const CHUNK = 5_000;
const CHUNKS_PER_PASS = 100;
// Removed rows between two vacuums of the log: about a campaign's worth.
const VACUUM_AFTER_REMOVED = 50_000;
// During a burst of callbacks a pass waits for the next, but no more passes than this in a row
// (five minutes): the log of a load that never ends is still kept small.
const MAX_PASSES_SKIPPED = 30;

/** A pass resolves with how many superseded log rows it removed. */
export type ChangeLogUpkeep = PeriodicPass<number>;

/**
 * Keeps the message change log about one row a message: each status callback adds a row, and the
 * row it supersedes is removed here, after a burst rather than during it. Every instance runs it
 * (each keeps its own cursor; two removing the same rows is harmless), so none of them has to be
 * the one that stays up.
 */
export function startChangeLogUpkeep(
  db: Queryable,
  log: { warn(o: object, msg: string): void },
  o: { everyMs?: number | null; underLoad?: () => boolean } = {},
): ChangeLogUpkeep {
  let cursor = 0;
  let removedSinceVacuum = 0;
  let skipped = 0;
  async function pass(): Promise<number> {
    // The rows wait a little longer; the callbacks Twilio is waiting on get the database first.
    if (o.underLoad?.() && skipped < MAX_PASSES_SKIPPED) {
      skipped++;
      return 0;
    }
    skipped = 0;
    let removed = 0;
    for (let i = 0; i < CHUNKS_PER_PASS; i++) {
      const r = await messageChangeLog.pruneAfter(db, cursor, CHUNK);
      removed += r.removed;
      // The end of the log: the cursor stays before this last, partial chunk, so the next pass
      // looks at it again with what was written since.
      if (r.last === null || r.looked < CHUNK) break;
      cursor = r.last;
    }
    removedSinceVacuum += removed;
    if (removedSinceVacuum >= VACUUM_AFTER_REMOVED) {
      removedSinceVacuum = 0;
      await messageChangeLog.vacuum(db);
    }
    return removed;
  }
  return startPeriodicPass({ pass, everyMs: o.everyMs === undefined ? EVERY_MS : o.everyMs, failed: 0, what: 'pruning the message change log', log });
}
