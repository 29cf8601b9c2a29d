import { randomUUID } from 'node:crypto';
import { withDeadlockRetry } from '../db/database.ts';
import { jobRepository, type PendingBySid, type PendingSpan } from '../db/job-repository.ts';
import { messageRepository, type StatusUpdate } from '../db/message-repository.ts';
import { leaseRepository } from '../db/settings-repository.ts';
import type { TwilioMessage } from '../twilio/gateway.ts';
import type { InboxContext } from './context.ts';
import { fetchedStatus, shownText } from './fetched-content.ts';
import { listedMedia } from './listed-media.ts';
import type { StoredMediaItem } from './media-items.ts';
import { publishMessages } from './publish.ts';
import { FETCH_MESSAGE_JOB } from './record-status.ts';
import type { TemplateCatalog } from './template-catalog.ts';

const LEASE = 'fetch-list-fill';
/** Renewed with every page: an instance that dies mid-list frees the range this long after. */
const LEASE_SECONDS = 60;
/** Twilio's largest page. */
const PAGE_SIZE = 1000;
// Twilio's date_sent comes before our first callback by the time sending took, and by much more
// when that callback came late (Twilio's retry, a server that was down); our clock may also be a
// little behind Twilio's. Both only widen what is listed.
const SENT_BEFORE_MS = 15 * 60_000;
const SENT_AFTER_MS = 5 * 60_000;
/** Rows filled per statement. */
const FILL_CHUNK = 250;
/** Senders listed per pass (a Messaging Service's pool may have several). */
const MAX_SENDERS = 4;

export interface ListFillOptions {
  /** Due fetch jobs from which listing pays: fewer go one fetch each (a pass may ask for more). */
  minBacklog: number;
  pageSize?: number;
  /** Requests to Twilio in flight at once (a listed message's media are one request each). */
  parallel: number;
  /** Awaited before each page (the status batcher's pause during a burst of callbacks). */
  giveWay?: () => Promise<void> | undefined;
  stopped: () => boolean;
}

export type ListFillOutcome =
  | { kind: 'small' }
  /** Another instance holds the lease: it is listing this backlog. */
  | { kind: 'elsewhere' }
  /** `sought`: the pending messages the pass listed for; `found`: how many of them the list had. */
  | { kind: 'listed'; pages: number; filled: number; sought: number; found: number };

const utcDay = (t: number) => new Date(t).toISOString().slice(0, 10);

/**
 * Fills the texts of outside messages from Twilio's message list, a page of up to 1,000 per
 * request, instead of one fetch each: what a campaign sent through another system needs, where
 * every message arrives as a callback without its text. The pending messages' time span, per
 * sender, is listed newest first; every page completes the jobs of the pending messages it holds
 * in one statement (with their media listed, when they have some) and their texts go to the
 * panels. What the list does not hold stays queued for the single fetch. A lease lets one
 * instance list at a time.
 */
export function createListFill(ctx: InboxContext & { templates: TemplateCatalog }, o: ListFillOptions) {
  const holder = randomUUID();
  const pageSize = o.pageSize ?? PAGE_SIZE;

  /** One listed page: fills the pending messages it holds, a chunk per statement; returns their jobs. */
  async function fillPage(page: TwilioMessage[]): Promise<PendingBySid[]> {
    if (!page.length) return [];
    const pending = await jobRepository.pendingBySid(ctx.db, FETCH_MESSAGE_JOB, page.map((m) => m.sid));
    const listed = new Map(page.map((m) => [m.sid, m]));
    const done: PendingBySid[] = [];
    for (let start = 0; start < pending.length; start += FILL_CHUNK) {
      // A statement holds its rows' locks until it commits: callbacks of those messages wait for
      // it, so a burst's callbacks wait for a chunk at most, and get the CPU between chunks.
      if (start > 0) await o.giveWay?.();
      const fills: { id: string; jobId: string; body: string | null; media: StoredMediaItem[] | null; u: StatusUpdate }[] = [];
      const chunk = pending.slice(start, start + FILL_CHUNK);
      for (let i = 0; i < chunk.length; i += o.parallel) {
        await Promise.all(chunk.slice(i, i + o.parallel).map(async (job) => {
          const m = listed.get(job.sid!)!;
          let media: StoredMediaItem[] | null = null;
          if (m.numMedia > 0) {
            // The list counts media but does not carry them: a request each, and on failure the
            // job stays for the single fetch, which retries.
            try {
              media = await listedMedia(ctx.twilio, m.sid);
            } catch {
              return;
            }
          }
          const body = await shownText(ctx.templates, m, { contentSid: job.content_sid, contentVariables: job.content_variables });
          fills.push({ id: job.message_id, jobId: job.id, body, media, u: fetchedStatus(m) });
          done.push(job);
        }));
      }
      if (!fills.length) continue;
      const updated = await withDeadlockRetry(() => messageRepository.applyFetchedContent(ctx.db, fills));
      publishMessages(ctx, [], updated);
    }
    return done;
  }

  /** Lists one sender's span newest first, until every message pending in it was found or the list is older. */
  async function fillSpan(span: PendingSpan, total: { pages: number; filled: number; found: number }): Promise<boolean> {
    const since = span.firstAt.getTime() - SENT_BEFORE_MS;
    const until = span.lastAt.getTime() + SENT_AFTER_MS;
    // Twilio documents DateSent by day only: whole days are asked for, the instants checked here.
    const pages = ctx.twilio.listMessagePagesByDay({ firstDay: utcDay(since), lastDay: utcDay(until), from: span.sender ?? undefined, pageSize });
    let found = 0;
    await o.giveWay?.();
    for await (const page of pages) {
      total.pages++;
      const done = await fillPage(page);
      total.filled += done.length;
      found += done.filter((j) => j.created_at.getTime() >= span.firstAt.getTime() && j.created_at.getTime() <= span.lastAt.getTime()).length;
      const newest = Math.max(...page.map((m) => (m.dateSent ?? m.dateCreated ?? new Date()).getTime()));
      if (found >= span.count || !page.length || newest < since || o.stopped()) break;
      // Lost (this instance stalled past it): another one lists now.
      if (!(await leaseRepository.tryAcquire(ctx.db, LEASE, holder, LEASE_SECONDS))) return false;
      await o.giveWay?.();
    }
    total.found += found;
    return true;
  }

  return {
    /** One pass, when at least `minBacklog` (default the option's) jobs are due. */
    async run(minBacklog = o.minBacklog): Promise<ListFillOutcome> {
      if ((await jobRepository.countDue(ctx.db, FETCH_MESSAGE_JOB, minBacklog)) < minBacklog) return { kind: 'small' };
      if (!(await leaseRepository.tryAcquire(ctx.db, LEASE, holder, LEASE_SECONDS))) return { kind: 'elsewhere' };
      const total = { pages: 0, filled: 0, found: 0 };
      let sought = 0;
      try {
        // A sender with a few pending messages is cheaper fetched one by one than listed.
        const spans = (await jobRepository.pendingSpans(ctx.db, FETCH_MESSAGE_JOB))
          .filter((s) => s.count * MAX_SENDERS >= o.minBacklog).slice(0, MAX_SENDERS);
        for (const span of spans) {
          if (o.stopped()) break;
          sought += span.count;
          if (!(await fillSpan(span, total))) break;
        }
      } catch (err) {
        // What is left goes by single fetches.
        ctx.log.warn({ err, ...total }, 'listing Twilio\'s messages to fill texts failed');
      } finally {
        await leaseRepository.release(ctx.db, LEASE, holder).catch(() => {});
      }
      return { kind: 'listed', ...total, sought };
    },
  };
}
