import { conversationRepository } from '../db/conversation-repository.ts';
import { messageRepository } from '../db/message-repository.ts';
import type { CapturedVia, MessageDto } from '../contract/api.ts';
import type { InboxContext } from './context.ts';
import { storedMediaItems } from './media-items.ts';
import { publishMessage } from './publish.ts';
import { FETCH_MESSAGE_JOB } from './record-status.ts';

export interface InboundMessage {
  messageSid: string;
  /** The customer, E.164. */
  customerPhone: string;
  /** Our number (whatsapp:+57...). */
  to: string | null;
  body: string;
  /** As the webhook declared them; an item without a usable URL is kept as unavailable. */
  media: { url: string | null; contentType: string | null }[];
  profileName: string | null;
  waId: string | null;
  messagingServiceSid: string | null;
  replyToSid: string | null;
  buttonPayload: string | null;
  location: MessageDto['location'];
  at: Date;
  /** Media Twilio's list counted but did not carry (reconcile, backfill): fetched in the background. */
  mediaPending?: boolean;
}

/**
 * A customer's message from the inbound webhook: recorded once per SID (Twilio may retry the
 * webhook), names the contact from WhatsApp's profile, opens the 24-hour window, counts as unread.
 */
export async function recordInboundMessage(ctx: InboxContext, m: InboundMessage, via: CapturedVia = 'webhook'): Promise<'recorded' | 'duplicate'> {
  // Its conversation is with the number the customer wrote to.
  const senderAddress = ctx.senders.addressFor(m.to);
  if (!senderAddress) throw new Error(`inbound message ${m.messageSid} names none of our numbers and none is configured`);
  const conversationId = await conversationRepository.ensureForPhone(ctx.db, m.customerPhone, senderAddress);
  if (m.profileName) await conversationRepository.updateProfileName(ctx.db, conversationId, m.profileName, m.waId);
  const [row] = await messageRepository.insertOrAdvanceMany(ctx.db, [
    {
      sid: m.messageSid,
      conversationId,
      direction: 'inbound',
      source: 'inbound',
      capturedVia: via,
      body: m.body,
      bodyPending: !!m.mediaPending && !m.body,
      media: storedMediaItems(m.media, (url) => ctx.twilio.isTwilioMediaUrl(url)),
      businessAddress: m.to,
      messagingServiceSid: m.messagingServiceSid,
      createdAt: m.at,
      replyToSid: m.replyToSid,
      buttonPayload: m.buttonPayload,
      location: m.location,
      u: { status: 'received', errorCode: null, errorMessage: null, at: m.at },
      activity: { unread: true, inbound: true, raise: true, fetchJob: m.mediaPending ? FETCH_MESSAGE_JOB : null },
    },
  ]);
  if (!row?.inserted) return 'duplicate';
  publishMessage(ctx, row.message, 'new');
  if (m.mediaPending) ctx.wakeWorker();
  return 'recorded';
}
