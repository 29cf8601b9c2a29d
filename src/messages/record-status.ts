import { conversationRepository } from '../db/conversation-repository.ts';
import { messageRepository, type StatusUpdate } from '../db/message-repository.ts';
import type { CapturedVia, MessageStatus } from '../realtime/events.ts';
import { phoneFromAddress } from './addresses.ts';
import type { InboxContext } from './context.ts';
import { publishMessage } from './publish.ts';

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

/**
 * A status callback (or a status seen in Twilio's list): advances the message it names, or, when
 * the SID is new, records the message as sent from outside and queues the fetch of its text.
 * Every path is a conditional write keyed by the unique SID, so replays, reordering and races
 * leave exactly one row with the highest status. Events go out only after commit.
 */
export async function recordStatus(ctx: InboxContext, r: StatusReport, via: CapturedVia = 'callback'): Promise<RecordOutcome> {
  const update: StatusUpdate = { status: r.status, errorCode: r.errorCode, errorMessage: r.errorMessage, at: r.at };

  if (r.messageId) {
    const hit = await messageRepository.advanceByMessageId(ctx.db, r.messageId, r.messageSid, update);
    if (hit) {
      publishMessage(ctx, hit, 'updated');
      return 'advanced';
    }
  }
  const advanced = await messageRepository.advanceBySid(ctx.db, r.messageSid, update);
  if (advanced) {
    publishMessage(ctx, advanced, 'updated');
    return 'advanced';
  }
  return recordExternalMessage(ctx, r, update, via);
}

async function recordExternalMessage(ctx: InboxContext, r: StatusReport, update: StatusUpdate, via: CapturedVia): Promise<RecordOutcome> {
  const customer = phoneFromAddress(r.to);
  if (!customer) throw new Error(`status report for ${r.messageSid} has no customer phone in To`);
  const settings = await ctx.settings.get();
  const conversationId = await conversationRepository.ensureForPhone(ctx.db, customer);
  const raise = settings.externalRaisesConversation;
  const result = await messageRepository.insertOrAdvance(
    ctx.db,
    {
      sid: r.messageSid,
      conversationId,
      direction: 'outbound',
      source: 'external',
      capturedVia: via,
      body: r.body || null,
      bodyPending: r.body === undefined,
      media: [],
      businessAddress: r.from,
      messagingServiceSid: r.messagingServiceSid,
      createdAt: r.createdAt ?? r.at,
    },
    update,
    { unread: raise, inbound: false, raise, fetchJob: r.body === undefined ? FETCH_MESSAGE_JOB : null },
  );
  if (!result) return 'unchanged';
  if (result.inserted) {
    if (r.body === undefined) ctx.wakeWorker();
    publishMessage(ctx, result.message, 'new');
    return 'recorded';
  }
  publishMessage(ctx, result.message, 'updated');
  return 'advanced';
}
