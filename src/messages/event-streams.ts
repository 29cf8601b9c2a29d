import { z } from 'zod';
import { MESSAGE_STATUSES, type MessageStatus } from '../contract/api.ts';
import { checkpointRepository } from '../db/settings-repository.ts';
import { phoneFromAddress } from './addresses.ts';
import type { InboxContext } from './context.ts';
import type { SenderDirectory } from './senders.ts';
import { recordInboundMessage, type InboundMessage } from './record-inbound.ts';
import { recordStatuses, type StatusReport } from './record-status.ts';

// Twilio Event Streams: a webhook sink receives a JSON array of CloudEvents. The messaging ones
// carry what a status callback or the inbound webhook would, plus the text, and go through the
// same recording path.

export const OUTBOUND_EVENT_PREFIX = 'com.twilio.messaging.message.';
export const INBOUND_EVENT_TYPE = 'com.twilio.messaging.inbound-message.received';
/** The event types `configure --event-streams` subscribes the sink to. */
export const MESSAGING_EVENT_TYPES = [
  ...['queued', 'sent', 'delivered', 'read', 'undelivered', 'failed'].map((s) => OUTBOUND_EVENT_PREFIX + s),
  INBOUND_EVENT_TYPE,
] as const;

export const LAST_EVENT_CHECKPOINT = 'last_event_stream_event';
/** Events in one delivery at most (Twilio batches a few hundred). */
export const MAX_EVENTS_PER_DELIVERY = 5_000;

const SID = /^(SM|MM)[0-9a-fA-F]{32}$/;
const address = z.string().min(1).max(64);
const timestamp = z.string().max(64).optional();

// Unknown keys are accepted: Twilio adds fields to its schemas (new versions) without notice.
const cloudEvent = z.looseObject({
  type: z.string().min(1).max(200),
  id: z.string().max(200).optional(),
  time: timestamp,
  data: z.unknown(),
});
const outboundData = z.looseObject({
  messageSid: z.string().regex(SID, 'must be a Twilio message SID'),
  messageStatus: z.string().max(32).optional(),
  from: address,
  to: address,
  body: z.string().max(10_000).nullish(),
  messagingServiceSid: z.string().max(64).nullish(),
  errorCode: z.coerce.number().int().min(0).max(999_999).nullish(),
  errorMessage: z.string().max(2000).nullish(),
  timestamp,
});
const inboundData = z.looseObject({
  messageSid: z.string().regex(SID, 'must be a Twilio message SID'),
  from: address,
  to: address,
  body: z.string().max(10_000).nullish(),
  numMedia: z.coerce.number().int().min(0).max(10).nullish(),
  messagingServiceSid: z.string().max(64).nullish(),
  profileName: z.string().max(200).nullish(),
  timestamp,
});

/** The delivery as read: the messaging events to record, and how many were ignored. */
export interface ParsedDelivery {
  statuses: StatusReport[];
  inbound: InboundMessage[];
  ignored: number;
  lastType: string | null;
}

/** Which of our WhatsApp senders count (see SenderDirectory.isOurs). */
export type OurSenders = Pick<SenderDirectory, 'isOurs'>;

export class MalformedDeliveryError extends Error {}

const timeOf = (...candidates: (string | null | undefined)[]): Date => {
  for (const c of candidates) {
    const d = c ? new Date(c) : null;
    if (d && !Number.isNaN(d.getTime())) return d;
  }
  return new Date();
};

/**
 * Whether a message involves one of our WhatsApp senders: the customer's side is a WhatsApp
 * address, and ours is one of our numbers or went through our Messaging Service. SMS and other
 * numbers' events are not ours to record.
 */
function isOurs(ourAddress: string, customerAddress: string, serviceSid: string | null | undefined, senders: OurSenders): boolean {
  if (!customerAddress.startsWith('whatsapp:') || !phoneFromAddress(customerAddress)) return false;
  return senders.isOurs(ourAddress, serviceSid);
}

function statusOf(type: string, given: string | undefined): MessageStatus | null {
  const candidate = (given ?? type.slice(OUTBOUND_EVENT_PREFIX.length)).toLowerCase();
  return (MESSAGE_STATUSES as readonly string[]).includes(candidate) ? (candidate as MessageStatus) : null;
}

/**
 * Reads a delivery's parsed JSON. Not an array, or a messaging event whose data is not what
 * Twilio documents: MalformedDeliveryError (nothing is recorded). Other event types are ignored.
 */
export function parseDelivery(body: unknown, senders: OurSenders): ParsedDelivery {
  if (!Array.isArray(body)) throw new MalformedDeliveryError('the body must be a JSON array of events');
  if (body.length > MAX_EVENTS_PER_DELIVERY) throw new MalformedDeliveryError(`at most ${MAX_EVENTS_PER_DELIVERY} events per delivery`);
  const out: ParsedDelivery = { statuses: [], inbound: [], ignored: 0, lastType: null };
  body.forEach((raw, i) => {
    const event = cloudEvent.safeParse(raw);
    if (!event.success) throw new MalformedDeliveryError(`event ${i}: ${event.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
    const { type } = event.data;
    out.lastType = type;
    const read = <T>(schema: z.ZodType<T>): T => {
      const data = schema.safeParse(event.data.data);
      if (!data.success) throw new MalformedDeliveryError(`event ${i} (${type}): ${data.error.issues.map((x) => `data.${x.path.join('.')}: ${x.message}`).join('; ')}`);
      return data.data;
    };
    if (type === INBOUND_EVENT_TYPE) {
      const d = read(inboundData);
      if (!isOurs(d.to, d.from, d.messagingServiceSid, senders)) return void out.ignored++;
      out.inbound.push({
        messageSid: d.messageSid,
        customerPhone: phoneFromAddress(d.from)!,
        to: d.to,
        body: d.body ?? '',
        // The event names no media URLs: each declared item is kept, as unavailable.
        media: Array.from({ length: d.numMedia ?? 0 }, () => ({ url: null, contentType: null })),
        profileName: d.profileName?.trim() || null,
        waId: null,
        messagingServiceSid: d.messagingServiceSid || null,
        replyToSid: null,
        buttonPayload: null,
        location: null,
        at: timeOf(d.timestamp, event.data.time),
      });
      return;
    }
    if (!type.startsWith(OUTBOUND_EVENT_PREFIX)) return void out.ignored++;
    const d = read(outboundData);
    const status = statusOf(type, d.messageStatus);
    if (!status || !isOurs(d.from, d.to, d.messagingServiceSid, senders)) return void out.ignored++;
    const at = timeOf(d.timestamp, event.data.time);
    out.statuses.push({
      messageSid: d.messageSid,
      status,
      from: d.from,
      to: d.to,
      errorCode: d.errorCode ?? null,
      errorMessage: d.errorMessage || null,
      messagingServiceSid: d.messagingServiceSid || null,
      messageId: null,
      at,
      // The event carries the text: a new SID is recorded with it and no fetch is queued. Without
      // it (older schema versions), undefined queues the fetch as for a callback.
      ...(typeof d.body === 'string' ? { body: d.body } : {}),
    });
  });
  return out;
}

/**
 * Records a delivery: its status events in one batch (replays and reordering change nothing
 * twice: the writes keep the highest status per SID), its inbound messages once per SID (one
 * already recorded from the inbound webhook is not doubled). Resolves after the writes.
 */
export async function recordDelivery(ctx: InboxContext, d: ParsedDelivery): Promise<{ recorded: number; ignored: number }> {
  if (d.statuses.length) await recordStatuses(ctx, d.statuses, 'event_stream');
  for (const m of d.inbound) await recordInboundMessage(ctx, m, 'event_stream');
  if (d.lastType) noteEventReceived(ctx, d.lastType);
  return { recorded: d.statuses.length + d.inbound.length, ignored: d.ignored };
}

export interface LastEvent {
  at: string;
  type: string;
}

// At most one write per interval per instance: doctor wants "when and what", not a counter.
const NOTE_INTERVAL_MS = 10_000;
const lastNote = new WeakMap<InboxContext['db'], number>();

function noteEventReceived(ctx: InboxContext, type: string): void {
  const now = Date.now();
  if (now - (lastNote.get(ctx.db) ?? 0) < NOTE_INTERVAL_MS) return;
  lastNote.set(ctx.db, now);
  const value: LastEvent = { at: new Date(now).toISOString(), type };
  checkpointRepository.set(ctx.db, LAST_EVENT_CHECKPOINT, JSON.stringify(value)).catch(() => lastNote.delete(ctx.db));
}
