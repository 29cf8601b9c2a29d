import { messageRepository } from '../db/message-repository.ts';
import { TwilioRequestError, type TwilioMessage } from '../twilio/gateway.ts';
import type { InboxContext } from './context.ts';
import { TWILIO_PARALLEL } from './message-fetcher.ts';
import { statusReportOf } from './reconcile.ts';
import { recordStatuses, type StatusReport } from './record-status.ts';

export interface RecheckCounts {
  /** Messages fetched from Twilio again. */
  checked: number;
  /** Of those, how many moved forward (a `read` whose callback was lost). */
  advanced: number;
  /** Twilio no longer has them (deleted): marked checked, left as they are. */
  gone: number;
  /** Twilio errors: logged, and the message waits for its next turn. */
  failed: number;
}

export interface RecheckOptions {
  /** The most messages one pass fetches. */
  limit: number;
  /** Only messages created before this (younger ones are in Twilio's list the pass walks anyway). */
  createdBefore: Date;
  /** Messages older than this many days are no longer checked: a phone that never opens WhatsApp never sends `read`. */
  maxAgeDays: number;
}

// A message re-checked this recently is not taken again: it bounds how often one message is
// fetched when few are waiting, and keeps a second instance's claim off a message just claimed.
const RECHECK_GAP_SECONDS = 300;
// Messages taken out of the re-check queue per statement, and at most per pass: 600,000 an hour
// at the default interval, and an upgraded history's final messages (all still in the queue after
// migration 015) leave it over several passes rather than in one long one.
const RETIRE_BATCH = 5_000;
const RETIRE_PER_PASS = 50_000;

/**
 * Fetches again, one by one, outbound messages whose status can still advance but that Twilio's
 * recent list no longer shows, the longest unchecked first, and records what changed through the
 * same path as a callback (never backwards, failed final, an event for each change). Twilio's
 * errors are counted and logged; they never end the pass.
 */
export async function recheckStatuses(ctx: InboxContext, o: RecheckOptions): Promise<RecheckCounts> {
  const counts: RecheckCounts = { checked: 0, advanced: 0, gone: 0, failed: 0 };
  if (o.limit <= 0) return counts;
  const createdAfter = new Date(Date.now() - o.maxAgeDays * 86_400_000);
  for (let retired = 0; retired < RETIRE_PER_PASS; ) {
    const n = await messageRepository.retireStatusRechecks(ctx.db, { limit: RETIRE_BATCH, createdAfter });
    retired += n;
    if (n < RETIRE_BATCH) break;
  }
  const claimed = await messageRepository.claimStatusRechecks(ctx.db, {
    limit: o.limit,
    createdAfter,
    createdBefore: o.createdBefore,
    gapSeconds: RECHECK_GAP_SECONDS,
  });
  const reports: StatusReport[] = [];
  for (let i = 0; i < claimed.length; i += TWILIO_PARALLEL) {
    const fetched = await Promise.all(claimed.slice(i, i + TWILIO_PARALLEL).map(({ sid }) => fetchOrNull(ctx, sid, counts)));
    for (const m of fetched) {
      const report = m && statusReportOf(m);
      if (report) reports.push(report);
    }
  }
  counts.checked = reports.length;
  if (reports.length) {
    const outcomes = await recordStatuses(ctx, reports, 'reconcile');
    counts.advanced = outcomes.filter((x) => x === 'advanced').length;
  }
  return counts;
}

async function fetchOrNull(ctx: InboxContext, sid: string, counts: RecheckCounts): Promise<TwilioMessage | null> {
  try {
    return await ctx.twilio.fetchMessage(sid);
  } catch (err) {
    if (err instanceof TwilioRequestError && err.status === 404) {
      counts.gone++;
      return null;
    }
    counts.failed++;
    ctx.log.warn({ sid, err }, 're-checking a message status at Twilio failed; it waits for its next turn');
    return null;
  }
}
