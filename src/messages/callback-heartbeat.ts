import { checkpointRepository } from '../db/settings-repository.ts';
import type { InboxContext } from './context.ts';

export const LAST_CALLBACK_CHECKPOINT = 'last_status_callback';
// At most one write per interval per instance: the operator wants "when", not a counter.
const INTERVAL_MS = 10_000;
const lastWrite = new WeakMap<InboxContext['db'], number>();

/** Records that Twilio reached us (for `wa-inbox doctor`), cheaply. */
export function noteCallbackReceived(ctx: InboxContext): void {
  const now = Date.now();
  if (now - (lastWrite.get(ctx.db) ?? 0) < INTERVAL_MS) return;
  lastWrite.set(ctx.db, now);
  checkpointRepository.set(ctx.db, LAST_CALLBACK_CHECKPOINT, new Date(now).toISOString()).catch(() => lastWrite.delete(ctx.db));
}
