import { withDeadlockRetry, type Queryable } from '../db/database.ts';
import { messageRepository, type NewStatusItem, type StatusUpdate } from '../db/message-repository.ts';
import type { CapturedVia, MessageDto, MessageStatus } from '../contract/api.ts';
import { phoneFromAddress } from './addresses.ts';
import type { InboxContext } from './context.ts';
import { publishMessages } from './publish.ts';
import { statusRank } from './status-rank.ts';

export const FETCH_MESSAGE_JOB = 'fetch_message';

export interface StatusReport {
  messageSid: string;
  status: MessageStatus;
  /** Our number (whatsapp:+57...). */
  from: string | null;
  /** The customer (whatsapp:+57...). */
  to: string;
  errorCode: number | null;
  errorMessage: string | null;
  messagingServiceSid: string | null;
  /** Our own message id, from `?mid=` on callbacks of panel sends. */
  messageId: string | null;
  at: Date;
  /** The text when already known (Twilio's message list has it); undefined: fetch it in the background. */
  body?: string | null;
  /** The message has media (Twilio's list gives their count, not them): fetch them in the background. */
  mediaPending?: boolean;
  /** When the message was created at Twilio, when known. */
  createdAt?: Date | null;
}

export type RecordOutcome = 'advanced' | 'recorded' | 'unchanged';

const updateOf = (r: StatusReport): StatusUpdate => ({ status: r.status, errorCode: r.errorCode, errorMessage: r.errorMessage, at: r.at });

/** One status report (a callback, or a message seen in Twilio's list). */
export async function recordStatus(ctx: InboxContext, r: StatusReport, via: CapturedVia = 'callback'): Promise<RecordOutcome> {
  return (await recordStatuses(ctx, [r], via))[0]!;
}

/**
 * Status reports, many at once: each advances the message it names, or, when its SID is new,
 * records the message as sent from outside and queues the fetch of its text. Every path is a
 * conditional write keyed by the unique SID, so replays, reordering and races (here or on another
 * instance) leave exactly one row with the highest status. A batch is one statement, so one round
 * trip and one commit (more only in the rare cases recordStatusBatch leaves to the caller); events
 * go out after the writes.
 */
export async function recordStatuses(ctx: InboxContext, reports: StatusReport[], via: CapturedVia = 'callback'): Promise<RecordOutcome[]> {
  const written = await writeStatusReports(ctx, reports, via);
  written.publish();
  return written.outcomes;
}

/**
 * The writes of `recordStatuses`, with the events left to the caller: the batcher answers the
 * callbacks first and publishes after, so encoding events for every panel never delays an answer.
 */
async function writeStatusReports(ctx: InboxContext, reports: StatusReport[], via: CapturedVia): Promise<{ outcomes: RecordOutcome[]; publish: () => void }> {
  for (const r of reports) {
    if (!phoneFromAddress(r.to)) throw new Error(`status report for ${r.messageSid} has no customer phone in To`);
  }
  // Its conversation is with the number it went from (a service's message not yet given one: the default).
  const senderOf = (r: StatusReport) => {
    const address = ctx.senders.addressFor(r.from);
    if (!address) throw new Error(`status report for ${r.messageSid} names none of our numbers and none is configured`);
    return address;
  };
  const { externalRaisesConversation } = await ctx.settings.get();
  const written = await writeStatuses(ctx.db, reports, via, externalRaisesConversation, senderOf);
  const publish = () => {
    publishMessages(ctx, written.created, written.updated);
    if (written.created.length && reports.some((r) => r.body === undefined || r.mediaPending)) ctx.wakeWorker();
  };
  return { outcomes: written.outcomes, publish };
}

interface Written { outcomes: RecordOutcome[]; created: MessageDto[]; updated: MessageDto[] }

/**
 * The reports of each SID merged into one update (the first report's fields, the highest status,
 * every status's time, the first error), in first-seen order: a batch then writes each message
 * once, as the same reports applied one by one would leave it. `of[i]` is report i's merged entry.
 */
export function mergeBySid(reports: StatusReport[]): { merged: { r: StatusReport; u: StatusUpdate }[]; of: number[] } {
  const merged: { r: StatusReport; u: StatusUpdate }[] = [];
  const index = new Map<string, number>();
  const of = reports.map((r) => {
    const k = index.get(r.messageSid);
    if (k === undefined) {
      index.set(r.messageSid, merged.length);
      merged.push({ r, u: updateOf(r) });
      return merged.length - 1;
    }
    const u = merged[k]!.u;
    // Equal ranks (failed after undelivered) keep the first, as the SQL advance does.
    const [higher, lower] = statusRank(r.status) > statusRank(u.status) ? [r, u] : [u, r];
    merged[k]!.u = {
      status: higher.status,
      at: higher.at,
      errorCode: u.errorCode ?? r.errorCode,
      errorMessage: u.errorMessage ?? r.errorMessage,
      alsoReached: [...(u.alsoReached ?? []), { status: lower.status, at: lower.at }],
    };
    return k;
  });
  return { merged, of };
}

async function writeStatuses(q: Queryable, reports: StatusReport[], via: CapturedVia, raise: boolean, senderOf: (r: StatusReport) => string): Promise<Written> {
  const w: Written = { outcomes: new Array(reports.length), created: [], updated: [] };
  const { merged, of } = mergeBySid(reports);
  const items = merged.map(({ r, u }): NewStatusItem => {
    const fetchText = r.body === undefined;
    return {
      sid: r.messageSid, u, phone: phoneFromAddress(r.to)!, senderAddress: senderOf(r), messageId: r.messageId,
      businessAddress: r.from, messagingServiceSid: r.messagingServiceSid,
      body: r.body || null,
      // Media still to come with no text: the panel shows it is loading, not an empty message.
      bodyPending: fetchText || (!!r.mediaPending && !r.body),
      createdAt: r.createdAt ?? r.at,
      fetchJob: fetchText || r.mediaPending ? FETCH_MESSAGE_JOB : null,
    };
  });
  const outcomeOf = new Map<string, RecordOutcome>();
  // One statement for the whole batch: stored messages advance, new ones are recorded. What it
  // leaves out (a SID or a customer another writer was storing at the same instant) goes again.
  const write = async (items: NewStatusItem[]): Promise<Set<string>> => {
    let unclaimed: Set<string> | undefined;
    for (let pass = 1, pending = items; pending.length; pass++) {
      if (pass > 3) throw new Error(`could not record ${pending.length} messages: another writer kept storing them or their customers at the same instant`);
      const these = pending;
      const batch = await withDeadlockRetry(() => messageRepository.recordStatusBatch(q, these, { via, raise }));
      unclaimed ??= batch.unclaimed;
      w.updated.push(...batch.changed);
      for (const m of batch.changed) outcomeOf.set(m.sid!, 'advanced');
      w.created.push(...batch.created);
      for (const m of batch.created) outcomeOf.set(m.sid!, 'recorded');
      pending = these.filter((i) => batch.leftOut.has(i.sid));
    }
    return unclaimed ?? new Set();
  };
  const unclaimed = await write(items);
  // A panel send's callback (`?mid=`, our own id) that beat Twilio's answer: its SID is not stored
  // yet, so it claims our row by id rather than becoming an outside message. Rare: usually the
  // answer attached the SID first and the statement above advanced it by SID.
  const orphans: NewStatusItem[] = [];
  for (const i of items.filter((i) => unclaimed.has(i.sid))) {
    const hit = await messageRepository.advanceByMessageId(q, i.messageId!, i.sid, i.u);
    if (!hit) {
      orphans.push({ ...i, messageId: null });
      continue;
    }
    w.updated.push(hit);
    outcomeOf.set(i.sid, 'advanced');
  }
  // Our id names no row of ours waiting for that SID: recorded as any other new SID.
  if (orphans.length) await write(orphans);
  // A report merged into an earlier one of its SID changed nothing of its own.
  reports.forEach((r, i) => {
    w.outcomes[i] = merged[of[i]!]!.r === r ? (outcomeOf.get(r.messageSid) ?? 'unchanged') : 'unchanged';
  });
  return w;
}

export interface StatusBatcher {
  record(r: StatusReport): Promise<RecordOutcome>;
  /** Whether callbacks are arriving in a burst: recent batches were large and the last one is recent. */
  underLoad(): boolean;
  /**
   * What background work awaits before each step of its own: nothing normally; during a burst a
   * pause, so the callbacks Twilio is waiting on get the CPU first (background work still advances).
   */
  giveWay(): Promise<void> | undefined;
}

/**
 * Callbacks per batch (smoothed) from which a burst is under way: they come faster than a write
 * takes. Each instance behind a load balancer sees its share of a burst: measured with two, each
 * batched about 15 (one alone: 25), so at 16 neither gave way and the texts of a campaign went one
 * fetch each (both fetchers racing for the jobs) instead of a page of Twilio's list per 1,000.
 */
const BURST_BATCH_SIZE = 8;
/** A burst is over when no batch was written for this long. */
const BURST_QUIET_MS = 1_000;
/** How long background work waits per step of its own during a burst (the fetcher: 8 texts, so 64 a second). */
const GIVE_WAY_MS = 125;

/**
 * Callbacks arriving together are written together: while a batch is being written, the next one
 * gathers, then goes out as a few statements instead of a few per callback. Each callback is
 * answered only after the batch holding it is written. One batch at a time: measured here, batches
 * in parallel lanes were smaller and the extra statements cost more than the parallelism gave.
 */
export function createStatusBatcher(ctx: InboxContext, o: { maxBatch?: number } = {}): StatusBatcher {
  const maxBatch = o.maxBatch ?? 500;
  let queue: { r: StatusReport; resolve: (o: RecordOutcome) => void; reject: (e: unknown) => void }[] = [];
  let writing = false;
  let smoothedBatch = 0;
  let lastFlushAt = 0;

  async function flush(): Promise<void> {
    const batch = queue.slice(0, maxBatch);
    queue = queue.slice(batch.length);
    smoothedBatch = 0.8 * smoothedBatch + 0.2 * batch.length;
    lastFlushAt = Date.now();
    let answer: () => void;
    let publish = () => {};
    try {
      const written = await writeStatusReports(ctx, batch.map((b) => b.r), 'callback');
      answer = () => batch.forEach((b, i) => b.resolve(written.outcomes[i]!));
      publish = written.publish;
    } catch (err) {
      answer = () => batch.forEach((b) => b.reject(err));
    }
    // The callbacks that came in meanwhile go to the database before this batch's answers go out,
    // so PostgreSQL writes the next batch while the server sends them.
    if (queue.length) void flush();
    else writing = false;
    answer();
    // The events go out once the answers are written (their handlers run as microtasks, before
    // this): Twilio waits on the answers, the panels on nothing.
    setImmediate(publish);
  }

  const underLoad = () => smoothedBatch >= BURST_BATCH_SIZE && Date.now() - lastFlushAt < BURST_QUIET_MS;
  return {
    record(r) {
      return new Promise((resolve, reject) => {
        queue.push({ r, resolve, reject });
        if (!writing) {
          writing = true;
          // Let the callbacks already read from the network join this batch.
          setImmediate(() => void flush());
        }
      });
    },
    underLoad,
    giveWay: () => (underLoad() ? new Promise((resolve) => setTimeout(resolve, GIVE_WAY_MS)) : undefined),
  };
}
