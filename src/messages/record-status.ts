import { conversationRepository } from '../db/conversation-repository.ts';
import { withDeadlockRetry, type Queryable } from '../db/database.ts';
import { messageRepository, type StatusUpdate } from '../db/message-repository.ts';
import type { CapturedVia, MessageDto, MessageStatus } from '../realtime/events.ts';
import { phoneFromAddress } from './addresses.ts';
import type { InboxContext } from './context.ts';
import { publishMessages } from './publish.ts';

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
 * instance) leave exactly one row with the highest status. Each statement commits on its own
 * (measured: wrapping a batch in one transaction was slower here, the round trips cost more than
 * the commits saved); events go out after the writes.
 */
export async function recordStatuses(ctx: InboxContext, reports: StatusReport[], via: CapturedVia = 'callback'): Promise<RecordOutcome[]> {
  for (const r of reports) {
    if (!phoneFromAddress(r.to)) throw new Error(`status report for ${r.messageSid} has no customer phone in To`);
  }
  const { externalRaisesConversation } = await ctx.settings.get();
  const written = await withDeadlockRetry(() => writeStatuses(ctx.db, reports, via, externalRaisesConversation));
  publishMessages(ctx, written.created, written.updated);
  if (written.created.some((m) => m.bodyPending)) ctx.wakeWorker();
  return written.outcomes;
}

interface Written { outcomes: RecordOutcome[]; created: MessageDto[]; updated: MessageDto[] }

async function writeStatuses(q: Queryable, reports: StatusReport[], via: CapturedVia, raise: boolean): Promise<Written> {
  const w: Written = { outcomes: new Array(reports.length), created: [], updated: [] };
  const bySid: number[] = [];
  // Panel sends are named by our own id, which also claims the SID before Twilio's answer does.
  for (const [i, r] of reports.entries()) {
    const hit = r.messageId ? await messageRepository.advanceByMessageId(q, r.messageId, r.messageSid, updateOf(r)) : null;
    if (hit) {
      w.updated.push(hit);
      w.outcomes[i] = 'advanced';
    } else bySid.push(i);
  }
  // A batch statement may touch each row once: a SID reported twice goes into a second round.
  let pending = bySid;
  while (pending.length) {
    const seen = new Set<string>();
    const round: number[] = [];
    const later: number[] = [];
    for (const i of pending) {
      const sid = reports[i]!.messageSid;
      if (seen.has(sid)) later.push(i);
      else {
        seen.add(sid);
        round.push(i);
      }
    }
    await writeRound(q, reports, round, via, raise, w);
    pending = later;
  }
  return w;
}

async function writeRound(q: Queryable, reports: StatusReport[], round: number[], via: CapturedVia, raise: boolean, w: Written): Promise<void> {
  const { changed, known } = await messageRepository.advanceManyBySid(q, round.map((i) => ({ sid: reports[i]!.messageSid, u: updateOf(reports[i]!) })));
  w.updated.push(...changed);
  const changedSids = new Set(changed.map((m) => m.sid));
  const missing: number[] = [];
  for (const i of round) {
    const sid = reports[i]!.messageSid;
    if (known.has(sid)) w.outcomes[i] = changedSids.has(sid) ? 'advanced' : 'unchanged';
    else missing.push(i);
  }
  if (!missing.length) return;
  const conversations = await conversationRepository.ensureForPhones(q, missing.map((i) => phoneFromAddress(reports[i]!.to)!));
  const saved = await messageRepository.insertOrAdvanceMany(q, missing.map((i) => {
    const r = reports[i]!;
    const fetchText = r.body === undefined;
    return {
      sid: r.messageSid,
      conversationId: conversations.get(phoneFromAddress(r.to)!)!,
      direction: 'outbound' as const,
      source: 'external' as const,
      capturedVia: via,
      body: r.body || null,
      bodyPending: fetchText,
      media: [],
      businessAddress: r.from,
      messagingServiceSid: r.messagingServiceSid,
      createdAt: r.createdAt ?? r.at,
      u: updateOf(r),
      activity: { unread: raise, inbound: false, raise, fetchJob: fetchText ? FETCH_MESSAGE_JOB : null },
    };
  }));
  const savedBySid = new Map(saved.map((s) => [s.message.sid, s]));
  for (const i of missing) {
    const s = savedBySid.get(reports[i]!.messageSid);
    w.outcomes[i] = !s ? 'unchanged' : s.inserted ? 'recorded' : 'advanced';
    if (s) (s.inserted ? w.created : w.updated).push(s.message);
  }
}

export interface StatusBatcher {
  record(r: StatusReport): Promise<RecordOutcome>;
}

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

  async function flush(): Promise<void> {
    const batch = queue.slice(0, maxBatch);
    queue = queue.slice(batch.length);
    try {
      const outcomes = await recordStatuses(ctx, batch.map((b) => b.r));
      batch.forEach((b, i) => b.resolve(outcomes[i]!));
    } catch (err) {
      batch.forEach((b) => b.reject(err));
    }
    if (queue.length) setImmediate(() => void flush());
    else writing = false;
  }

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
  };
}
