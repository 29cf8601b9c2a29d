import type { LocalMessage } from './store.ts';

// The forms Twilio posts for WhatsApp, field for field (see the team's Twilio notes, shared/twilio-notes.md §1, §3).
// Twilio adds fields without notice; receivers must accept unknown keys.

const API_VERSION = '2010-04-01';
const bareNumber = (address: string) => address.replace(/^whatsapp:/, '');

/**
 * A status callback announcing `status` for `m`. `From` is the sender even for a message sent
 * through a Messaging Service (Twilio picked it by then); `ChannelInstallSid` is the WhatsApp
 * sender (XE...).
 */
export function statusCallbackParams(m: LocalMessage, status: string, ctx: { accountSid: string; senderSid: string; whatsappFrom: string }): Record<string, string> {
  const params: Record<string, string> = {
    ApiVersion: API_VERSION,
    AccountSid: ctx.accountSid,
    ChannelInstallSid: ctx.senderSid,
    ChannelPrefix: 'whatsapp',
    ChannelToAddress: bareNumber(m.to),
    From: m.from ?? ctx.whatsappFrom,
    MessageSid: m.sid,
    MessageStatus: status,
    SmsSid: m.sid,
    SmsStatus: status,
    To: m.to,
  };
  if (m.messagingServiceSid) params.MessagingServiceSid = m.messagingServiceSid;
  // WhatsApp's read receipts and delivery reports come with an EventType; `sent` says whether
  // the message went out as a structured (interactive/template) one.
  if (status === 'sent') params.StructuredMessage = m.contentSid ? 'true' : 'false';
  if (status === 'delivered') params.EventType = 'DELIVERED';
  if (status === 'read') params.EventType = 'READ';
  if ((status === 'failed' || status === 'undelivered') && m.errorCode) {
    params.ErrorCode = String(m.errorCode);
    params.ChannelStatusMessage = m.errorMessage ?? '';
  }
  return params;
}

export interface InboundExtras {
  profileName?: string;
  buttonPayload?: string;
  buttonText?: string;
  latitude?: number;
  longitude?: number;
  repliedToSid?: string;
  repliedToSender?: string;
}

/** WhatsApp's MessageType for what the customer sent. */
function messageType(m: LocalMessage, x: InboundExtras): string {
  const media = m.media[0];
  if (media) {
    const kind = media.contentType.split('/')[0];
    return kind === 'image' || kind === 'video' || kind === 'audio' ? kind : 'document';
  }
  if (x.latitude !== undefined && x.longitude !== undefined) return 'location';
  if (x.buttonPayload || x.buttonText) return 'button';
  return 'text';
}

/** The inbound webhook for a message a customer sent. `mediaUrl(i)` is where media i is served. */
export function inboundParams(m: LocalMessage, x: InboundExtras, mediaUrl: (index: number) => string): Record<string, string> {
  const params: Record<string, string> = {
    AccountSid: m.accountSid,
    ApiVersion: API_VERSION,
    Body: m.body,
    From: m.from!,
    MessageSid: m.sid,
    MessageType: messageType(m, x),
    NumMedia: String(m.media.length),
    NumSegments: '1',
    ProfileName: x.profileName ?? '',
    ReferralNumMedia: '0',
    SmsMessageSid: m.sid,
    SmsSid: m.sid,
    SmsStatus: 'received',
    To: m.to,
    // WhatsApp's own id for the customer: the number's digits, no "+".
    WaId: bareNumber(m.from!).replace(/^\+/, ''),
  };
  if (m.messagingServiceSid) params.MessagingServiceSid = m.messagingServiceSid;
  m.media.forEach((media, i) => {
    params[`MediaUrl${i}`] = mediaUrl(i);
    params[`MediaContentType${i}`] = media.contentType;
  });
  if (x.buttonPayload || x.buttonText) {
    params.ButtonPayload = x.buttonPayload ?? x.buttonText!;
    params.ButtonText = x.buttonText ?? x.buttonPayload!;
  }
  if (x.repliedToSid) {
    params.OriginalRepliedMessageSid = x.repliedToSid;
    if (x.repliedToSender) params.OriginalRepliedMessageSender = x.repliedToSender;
  }
  if (x.latitude !== undefined && x.longitude !== undefined) {
    params.Latitude = String(x.latitude);
    params.Longitude = String(x.longitude);
  }
  return params;
}
