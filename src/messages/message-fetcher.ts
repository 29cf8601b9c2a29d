import { randomUUID } from 'node:crypto';
import { withDeadlockRetry } from '../db/database.ts';
import { jobRepository, type Job } from '../db/job-repository.ts';
import { messageRepository, type StatusUpdate } from '../db/message-repository.ts';
import { leaseRepository } from '../db/settings-repository.ts';
import { TwilioRequestError, type TwilioMessage } from '../twilio/gateway.ts';
import type { InboxContext } from './context.ts';
import { fetchedStatus, shownText } from './fetched-content.ts';
import { createListFill } from './list-fill.ts';
import { listedMedia } from './listed-media.ts';
import type { StoredMediaItem } from './media-items.ts';
import { publishMessages } from './publish.ts';
import { FETCH_MESSAGE_JOB } from './record-status.ts';
import type { TemplateCatalog } from './template-catalog.ts';

const MAX_ATTEMPTS = 12;
const LEASE_SECONDS = 60;
const STOP_WAIT_MS = 5_000;
const BATCH = 32;
/** Requests to Twilio in flight at once: its API limits concurrency per account. */
export const TWILIO_PARALLEL = 8;

/** How often a large backlog is looked for while fetching one by one. */
const LIST_CHECK_MS = 1_000;
/** During a burst, texts each page of the last pass must now have to fill, for another pass. */
const TEXTS_PER_PAGE_IN_BURST = 100;
/** After a list fill that found less than half of what it listed for. */
const LIST_FRUITLESS_MS = 30_000;
/**
 * During a burst, the instance that fetches texts one by one (renewed with every batch). Each
 * instance trickled its own: with two, a campaign's texts went four times as often by single
 * fetches (each about four times a callback's CPU) as with one, where the list fills them a page
 * at a time once the backlog is worth it (measured, 30,000 messages: 2,097 single fetches and 91
 * list pages against 498 and 62).
 */
const BURST_SINGLES_LEASE = 'fetch-singles-in-burst';
const BURST_SINGLES_LEASE_SECONDS = 10;

/** Seconds before attempt n+1: 2, 4, 8 ... capped at 10 minutes. */
export const backoffSeconds = (attempts: number) => Math.min(2 ** attempts, 600);

export interface MessageFetcher {
  /** Runs due jobs until none is left; resolves with how many were processed. */
  drain(): Promise<number>;
  wake(): void;
  stop(): Promise<void>;
}

/**
 * Fetches the text and media of messages captured from callbacks (the callback carries neither). Jobs live
 * in the database, so a fetch interrupted by a crash or restart is picked up again.
 */
export function startMessageFetcher(
  ctx: InboxContext & { templates: TemplateCatalog },
  o: {
    pollMs?: number;
    /**
     * Awaited before each few requests to Twilio: during a campaign's burst of callbacks, the status
     * batcher makes the fetcher pause (each text costs about a millisecond of CPU here, a callback a
     * third of one).
     */
    giveWay?: () => Promise<void> | undefined;
    /** Whether callbacks are arriving in a burst (the status batcher's). */
    underLoad?: () => boolean;
    /**
     * From how many due jobs texts are filled from Twilio's message list, a page of up to 1,000 per
     * request, rather than fetched one by one (0 or absent: never). `pageSize` for tests.
     */
    listFill?: { minBacklog: number; pageSize?: number };
  } = {},
): MessageFetcher {
  let running: Promise<number> | null = null;
  let again = false;
  let stopped = false;
  const listFill = o.listFill?.minBacklog
    ? createListFill(ctx, { minBacklog: o.listFill.minBacklog, pageSize: o.listFill.pageSize, parallel: TWILIO_PARALLEL, giveWay: o.giveWay, stopped: () => stopped })
    : null;
  /** When the backlog is next measured (for a list fill), and until when another instance is listing it. */
  let listCheckAt = 0;
  let listedElsewhereUntil = 0;
  let lastListPages = 0;
  const holder = randomUUID();

  type Fetched = { id: string; jobId: string; body: string | null; media: StoredMediaItem[] | null; u: StatusUpdate | null };

  /** Fetches one message (and its media, when it has some); null when it must be retried later. */
  async function fetchOne(job: Job): Promise<Fetched | null> {
    const base = { id: job.message_id, jobId: job.id };
    const reasonOf = (err: unknown) => (err instanceof Error ? err.message : String(err));
    let m: TwilioMessage;
    try {
      m = await ctx.twilio.fetchMessage(job.sid!);
    } catch (err) {
      const permanent = err instanceof TwilioRequestError && err.status === 404;
      if (job.attempts >= MAX_ATTEMPTS || (permanent && job.attempts >= 3)) {
        ctx.log.warn({ sid: job.sid, attempts: job.attempts, reason: reasonOf(err) }, 'giving up fetching message text');
        return { ...base, body: null, media: null, u: null };
      }
      await jobRepository.retryLater(ctx.db, job.id, backoffSeconds(job.attempts), reasonOf(err));
      return null;
    }
    const body = await shownText(ctx.templates, m, { contentSid: job.content_sid, contentVariables: job.content_variables });
    // The media come in the same write as the text, so the message shows complete at once.
    let media: StoredMediaItem[] | null = null;
    if (m.numMedia > 0) {
      try {
        media = await listedMedia(ctx.twilio, m.sid);
      } catch (err) {
        if (job.attempts < MAX_ATTEMPTS) {
          await jobRepository.retryLater(ctx.db, job.id, backoffSeconds(job.attempts), reasonOf(err));
          return null;
        }
        // Out of attempts: the text is kept, the media never came.
        ctx.log.warn({ sid: job.sid, attempts: job.attempts, reason: reasonOf(err) }, 'giving up listing message media');
      }
    }
    return { ...base, body, media, u: fetchedStatus(m) };
  }

  /** Fetches a batch (a few requests to Twilio at a time), then applies all results in one statement. */
  async function fetchBatch(jobs: Job[]): Promise<void> {
    const results: Fetched[] = [];
    for (let i = 0; i < jobs.length; i += TWILIO_PARALLEL) {
      // Before each few requests, so during a burst the texts come in small steps that never hold
      // the callbacks up long (measured: p99 about 5 ms lower than a pause per batch of 32).
      await o.giveWay?.();
      const chunk = jobs.slice(i, i + TWILIO_PARALLEL);
      const done = await Promise.all(chunk.map((j) => (j.kind === FETCH_MESSAGE_JOB && j.sid ? fetchOne(j) : jobRepository.complete(ctx.db, j.id).then(() => null))));
      results.push(...done.filter((r): r is Fetched => r !== null));
    }
    if (!results.length) return;
    const updated = await withDeadlockRetry(() => messageRepository.applyFetchedContent(ctx.db, results));
    publishMessages(ctx, [], updated);
  }

  async function drainLoop(): Promise<number> {
    let done = 0;
    do {
      again = false;
      for (;;) {
        if (stopped) return done;
        if (listFill && Date.now() >= listCheckAt) {
          // During a burst of callbacks a pass waits until each page it took last time would fill
          // enough texts to be worth a request: listing a campaign's whole span again for a few
          // new messages would take the callbacks' CPU (and Twilio's rate) for little.
          const outcome = await listFill.run(o.underLoad?.() ? Math.max(o.listFill!.minBacklog, lastListPages * TEXTS_PER_PAGE_IN_BURST) : undefined);
          listCheckAt = Date.now() + LIST_CHECK_MS;
          if (outcome.kind === 'listed') lastListPages = outcome.pages;
          if (outcome.kind === 'elsewhere') listedElsewhereUntil = listCheckAt;
          // The list lacked most of what it was asked for (messages older than their callbacks, or
          // not in it), or the backlog was no sender's to list: single fetches take it for a while.
          if (outcome.kind === 'listed' && (outcome.sought === 0 || outcome.found * 2 < outcome.sought)) listCheckAt = Date.now() + LIST_FRUITLESS_MS;
        }
        // Another instance lists this backlog: single fetches here would only repeat its work.
        if (Date.now() < listedElsewhereUntil) return done;
        // During a burst one instance fetches one by one, at one instance's pace; the list takes the rest.
        if (listFill && o.underLoad?.() && !(await leaseRepository.tryAcquire(ctx.db, BURST_SINGLES_LEASE, holder, BURST_SINGLES_LEASE_SECONDS))) return done;
        const jobs = await jobRepository.claimDue(ctx.db, BATCH, LEASE_SECONDS);
        if (!jobs.length) break;
        await fetchBatch(jobs);
        done += jobs.length;
      }
    } while (again && !stopped);
    return done;
  }

  function drain(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = drainLoop()
      .catch((err) => {
        ctx.log.warn({ err }, 'message fetcher pass failed; will retry');
        return 0;
      })
      .finally(() => {
        running = null;
      });
    return running;
  }

  const timer = setInterval(() => void drain(), o.pollMs ?? 5_000);
  timer.unref();
  void drain();

  return {
    drain,
    wake: () => void drain(),
    async stop() {
      stopped = true;
      clearInterval(timer);
      // A pass ends after its current batch; a shutdown waits for it, but not forever (its jobs'
      // leases expire and another pass or instance takes them).
      await Promise.race([running, new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS).unref())]);
      // Another instance takes over the single fetches of a burst at once, not when the lease lapses.
      await leaseRepository.release(ctx.db, BURST_SINGLES_LEASE, holder).catch(() => {});
    },
  };
}
