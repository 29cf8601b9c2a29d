import { jobRepository, type Job } from '../db/job-repository.ts';
import { messageRepository } from '../db/message-repository.ts';
import { renderTemplate, TwilioRequestError } from '../twilio/gateway.ts';
import type { InboxContext } from './context.ts';
import { publishMessage } from './publish.ts';
import { FETCH_MESSAGE_JOB } from './record-status.ts';
import type { TemplateCatalog } from './template-catalog.ts';

const MAX_ATTEMPTS = 12;
const LEASE_SECONDS = 60;
const BATCH = 8;

/** Seconds before attempt n+1: 2, 4, 8 ... capped at 10 minutes. */
export const backoffSeconds = (attempts: number) => Math.min(2 ** attempts, 600);

export interface MessageFetcher {
  /** Runs due jobs until none is left; resolves with how many were processed. */
  drain(): Promise<number>;
  wake(): void;
  stop(): Promise<void>;
}

/**
 * Fetches the text of messages captured from callbacks (the callback does not carry it). Jobs live
 * in the database, so a fetch interrupted by a crash or restart is picked up again.
 */
export function startMessageFetcher(ctx: InboxContext & { templates: TemplateCatalog }, o: { pollMs?: number } = {}): MessageFetcher {
  let running: Promise<number> | null = null;
  let again = false;
  let stopped = false;

  async function fetchOne(job: Job): Promise<void> {
    if (!job.sid) return jobRepository.complete(ctx.db, job.id);
    try {
      const m = await ctx.twilio.fetchMessage(job.sid);
      let body: string | null = m.body;
      if (!body && m.numMedia === 0) {
        // A Content API template sent through a Messaging Service can come back with an empty
        // body (twilio-node #1081): show the template's own text when we know which one it was.
        const template = job.content_sid ? await ctx.templates.find(job.content_sid).catch(() => null) : null;
        body = template ? renderTemplate(template.body, job.content_variables) : null;
      }
      const updated = await messageRepository.applyFetchedContent(ctx.db, job.message_id, job.id, {
        body,
        createdAt: m.dateCreated,
        u: { status: m.status, errorCode: m.errorCode, errorMessage: m.errorMessage, at: m.dateSent ?? new Date() },
      });
      if (updated) publishMessage(ctx, updated, 'updated');
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const permanent = err instanceof TwilioRequestError && err.status === 404;
      if (job.attempts >= MAX_ATTEMPTS || (permanent && job.attempts >= 3)) {
        ctx.log.warn({ sid: job.sid, attempts: job.attempts, reason }, 'giving up fetching message text');
        const updated = await messageRepository.applyFetchedContent(ctx.db, job.message_id, job.id, { body: null, createdAt: null, u: null });
        if (updated) publishMessage(ctx, updated, 'updated');
        return;
      }
      await jobRepository.retryLater(ctx.db, job.id, backoffSeconds(job.attempts), reason);
    }
  }

  async function drainLoop(): Promise<number> {
    let done = 0;
    do {
      again = false;
      for (;;) {
        if (stopped) return done;
        const jobs = await jobRepository.claimDue(ctx.db, BATCH, LEASE_SECONDS);
        if (!jobs.length) break;
        await Promise.all(jobs.map((j) => (j.kind === FETCH_MESSAGE_JOB ? fetchOne(j) : jobRepository.complete(ctx.db, j.id))));
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
      await running;
    },
  };
}
