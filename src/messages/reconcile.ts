import type { CapturedVia } from '../contract/api.ts';
import type { TwilioMessage } from '../twilio/gateway.ts';
import { phoneFromAddress } from './addresses.ts';
import type { InboxContext } from './context.ts';
import { recordInboundMessage } from './record-inbound.ts';
import { recordStatus, type StatusReport } from './record-status.ts';

export interface ReconcileCounts {
  seen: number;
  new: number;
  updated: number;
  /** Messages of other channels (SMS, voice numbers) that are not WhatsApp, or of numbers not ours. */
  ignored: number;
}

/**
 * Records one message from Twilio's list as a callback or the inbound webhook would have: new ones
 * are added (with their text, which the list carries), known ones advance. Idempotent by SID. The
 * list counts media but does not carry them: a new message with media gets them from the message
 * fetcher, which lists them (and retries when Twilio fails), so a pass over messages already
 * stored asks Twilio nothing more.
 */
export async function recordListedMessage(ctx: InboxContext, m: TwilioMessage, via: CapturedVia): Promise<'new' | 'updated' | 'unchanged' | 'ignored'> {
  const isWhatsApp = (m.direction === 'inbound' ? m.from : m.to)?.startsWith('whatsapp:');
  if (!isWhatsApp) return 'ignored';
  // The account's other numbers (not ours, not in our Messaging Service) are not this inbox's.
  if (!ctx.senders.isOurs(m.direction === 'inbound' ? m.to : m.from, m.messagingServiceSid)) return 'ignored';
  if (m.direction === 'inbound') {
    const customerPhone = phoneFromAddress(m.from);
    if (!customerPhone) return 'ignored';
    const outcome = await recordInboundMessage(ctx, {
      messageSid: m.sid, customerPhone, to: m.to, body: m.body, media: [], profileName: null, waId: null,
      messagingServiceSid: m.messagingServiceSid, replyToSid: null, buttonPayload: null, location: null,
      at: m.dateCreated ?? m.dateSent ?? new Date(), mediaPending: m.numMedia > 0,
    }, via);
    return outcome === 'recorded' ? 'new' : 'unchanged';
  }
  const report = statusReportOf(m);
  if (!report) return 'ignored';
  const outcome = await recordStatus(ctx, report, via);
  return outcome === 'recorded' ? 'new' : outcome === 'advanced' ? 'updated' : 'unchanged';
}

/**
 * An outbound message as Twilio's API shows it, as the status report a callback would have made
 * (null: its To is no customer's WhatsApp address). Past `sent`, its last update is about when its
 * current status was reached: a `read` dated by its send time would look read before it was.
 */
export function statusReportOf(m: TwilioMessage): StatusReport | null {
  if (!phoneFromAddress(m.to)) return null;
  return {
    messageSid: m.sid, status: m.status, from: m.from, to: m.to, errorCode: m.errorCode, errorMessage: m.errorMessage,
    messagingServiceSid: m.messagingServiceSid, messageId: null, at: (m.status === 'sent' ? m.dateSent : m.dateUpdated) ?? m.dateSent ?? m.dateCreated ?? new Date(),
    body: m.body, mediaPending: m.numMedia > 0, createdAt: m.dateCreated,
  };
}

/** Walks Twilio's message list for a date range and records what we lack. */
export async function reconcileRange(
  ctx: InboxContext,
  range: { since: Date; until?: Date; pageSize?: number },
  via: CapturedVia,
  onProgress?: (c: ReconcileCounts, m: TwilioMessage) => void | Promise<void>,
): Promise<ReconcileCounts> {
  const counts: ReconcileCounts = { seen: 0, new: 0, updated: 0, ignored: 0 };
  for await (const m of ctx.twilio.listMessages(range)) {
    counts.seen++;
    const outcome = await recordListedMessage(ctx, m, via);
    if (outcome === 'new') counts.new++;
    else if (outcome === 'updated') counts.updated++;
    else if (outcome === 'ignored') counts.ignored++;
    await onProgress?.(counts, m);
  }
  return counts;
}
