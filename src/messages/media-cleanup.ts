import { outgoingMediaRepository } from '../db/outgoing-media-repository.ts';
import type { InboxContext } from './context.ts';
import { publishMessages } from './publish.ts';
import { startPeriodicPass, type PeriodicPass } from './periodic-pass.ts';

/** How long after its link expired a sent file's bytes are kept (the panel still opens it meanwhile). */
export const KEEP_BYTES_AFTER_EXPIRY_HOURS = 30 * 24;
// An upload still without its message after this long was cut off by a stop mid-upload (a live
// one, even on a very slow line, ends well before).
const ABANDONED_UPLOAD_MINUTES = 6 * 60;
const EVERY_MS = 60 * 60_000;
const FIRST_AFTER_MS = 60_000;
// Files per statement: a first pass over a large backlog is many short statements, not one long one.
const BATCH = 100;

/** A pass removes what is due and resolves with how many files' bytes and abandoned uploads went. */
export type MediaCleanup = PeriodicPass<{ removed: number; abandoned: number }>;

/**
 * Removes the bytes of files sent long ago (their rows stay: the chat shows the name and size, and
 * says the file is no longer available) and uploads a stop cut off. Every instance may run it: each
 * file is taken by one.
 */
export async function cleanUpOutgoingMedia(ctx: InboxContext, keepAfterExpiryHours = KEEP_BYTES_AFTER_EXPIRY_HOURS): Promise<{ removed: number; abandoned: number }> {
  let removed = 0;
  for (;;) {
    const changed = await outgoingMediaRepository.removeExpiredBytes(ctx.db, keepAfterExpiryHours, BATCH);
    removed += changed.length;
    publishMessages(ctx, [], changed);
    if (changed.length < BATCH) break;
  }
  const abandoned = await outgoingMediaRepository.deleteAbandonedUploads(ctx.db, ABANDONED_UPLOAD_MINUTES);
  return { removed, abandoned };
}

export function startMediaCleanup(ctx: InboxContext): MediaCleanup {
  const pass = async () => {
    const done = await cleanUpOutgoingMedia(ctx);
    if (done.removed || done.abandoned) ctx.log.info(done, 'old sent files and abandoned uploads removed');
    return done;
  };
  // A first pass soon after start too: a server restarted more often than hourly still sweeps.
  return startPeriodicPass({ pass, everyMs: EVERY_MS, firstAfterMs: FIRST_AFTER_MS, failed: { removed: 0, abandoned: 0 }, what: 'cleanup of sent files', log: ctx.log });
}
