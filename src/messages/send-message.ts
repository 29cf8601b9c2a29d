import { createHash, randomBytes } from 'node:crypto';
import { conversationRepository, WHATSAPP_WINDOW_MS } from '../db/conversation-repository.ts';
import { auditRepository } from '../db/audit-repository.ts';
import { messageRepository } from '../db/message-repository.ts';
import { outgoingMediaRepository } from '../db/outgoing-media-repository.ts';
import type { MessageDto, OutgoingDto } from '../contract/api.ts';
import { describeTwilioErrorInBoth, SEND_NOTES } from '../contract/twilio-error-texts.ts';
import { renderTemplate, TwilioOutcomeUnknownError, TwilioRequestError, type TwilioTemplate } from '../twilio/gateway.ts';
import { whatsappAddress } from './addresses.ts';
import type { InboxContext } from './context.ts';
import { DomainError, NotFoundError, TwilioSendError, TwilioTimeoutError, WindowClosedError } from './errors.ts';
import { takeOnReply } from './conversation-updates.ts';
import { isUuid } from './inbox-queries.ts';
import { publishMessage } from './publish.ts';
import type { TemplateCatalog } from './template-catalog.ts';
import { discardUpload, type UploadedFile } from './receive-upload.ts';

/** A JSON send, or a file (kept, its type already read from its bytes) with an optional caption. */
export type Outgoing = OutgoingDto | { media: UploadedFile; body: string | null };

export const DEFAULT_MEDIA_LINK_TTL_HOURS = 72;

/** The hash a public media link is looked up by; the token itself is never stored. */
export const mediaTokenHash = (token: string) => createHash('sha256').update(token).digest('hex');
/** Where Twilio fetches a file we send: the only way to it without a session. */
export const publicMediaUrl = (baseUrl: string, token: string) => `${baseUrl}/media/out/${token}`;

export const statusCallbackUrl = (baseUrl: string, messageId: string) => `${baseUrl}/api/whatsapp/status?mid=${messageId}`;

/** The catalog's template for a send, refused when unknown (400) or not approved yet (409). */
export async function approvedTemplate(templates: TemplateCatalog, contentSid: string): Promise<TwilioTemplate> {
  const template = await templates.find(contentSid).catch(() => null);
  if (!template) throw new DomainError('unknown_template', `Unknown template ${contentSid}`, `Plantilla desconocida ${contentSid}`, 21655);
  if (!template.approved) throw new DomainError('template_not_approved', 'This template is not approved by WhatsApp yet', 'WhatsApp aún no aprobó esta plantilla');
  return template;
}

/**
 * An agent's send. The row is written before Twilio is called and its id travels in the callback
 * URL, so a callback that beats Twilio's answer lands on this row instead of creating an
 * "external" twin. Free text is refused before Twilio when WhatsApp's 24-hour window is closed.
 */
export async function sendFromPanel(ctx: SendContext, conversationId: string, userId: string, out: Outgoing): Promise<MessageDto> {
  try {
    return await send(ctx, conversationId, userId, out);
  } catch (err) {
    // A file refused before its message was written (unknown chat, window closed) is not kept;
    // one already tied to its message stays with it.
    if ('media' in out) await discardUpload(ctx.db, out.media.mediaId);
    throw err;
  }
}

type SendContext = InboxContext & { templates: TemplateCatalog; mediaLinkTtlHours?: number };

async function send(ctx: SendContext, conversationId: string, userId: string, out: Outgoing): Promise<MessageDto> {
  const conversation = isUuid(conversationId) ? await conversationRepository.findContactPhone(ctx.db, conversationId) : null;
  if (!conversation) throw new NotFoundError('Conversation', 'Conversación');

  let body: string | null = null;
  if ('body' in out) {
    // Media goes out of the window only inside a template with a media header, as text does.
    const open = conversation.lastInboundAt && Date.now() - conversation.lastInboundAt.getTime() < WHATSAPP_WINDOW_MS;
    if (!open) throw new WindowClosedError();
    body = out.body;
  } else {
    const template = await approvedTemplate(ctx.templates, out.contentSid);
    // What the chat shows of it: a card's title and subtitle above its text (buttons and media stay with Twilio).
    body = renderTemplate([template.title, template.subtitle, template.body].filter(Boolean).join('\n'), out.contentVariables);
  }

  const contentSid = 'contentSid' in out ? out.contentSid : null;
  const contentVariables = 'contentSid' in out ? out.contentVariables : null;
  const file = 'media' in out ? out.media : null;
  // A reply goes from the number the conversation is with.
  const via = ctx.senders.sendingFrom(conversation.senderAddress);
  const row = {
    conversationId, body, contentSid, contentVariables, sentBy: userId,
    businessAddress: via.from, messagingServiceSid: via.messagingServiceSid,
  };
  let mediaUrl: string | null = null;
  let queued: MessageDto;
  if (file) {
    const token = randomBytes(24).toString('base64url');
    mediaUrl = publicMediaUrl(ctx.baseUrl, token);
    const expiresAt = new Date(Date.now() + (ctx.mediaLinkTtlHours ?? DEFAULT_MEDIA_LINK_TTL_HOURS) * 3600_000);
    // The row and its bytes together: a message never points at a file that is not there.
    queued = await ctx.db.transaction(async (tx) => {
      const saved = await messageRepository.insertPanelMessage(tx, {
        ...row, media: [{ url: null, contentType: file.contentType, stored: true, filename: file.filename, size: file.size }],
      });
      const attached = await outgoingMediaRepository.attach(tx, {
        mediaId: file.mediaId, messageId: saved.id, size: file.size, sha256: file.sha256, tokenHash: mediaTokenHash(token), expiresAt,
      });
      if (!attached) throw new Error('the uploaded file is gone before its message was written');
      return saved;
    });
  } else {
    queued = await messageRepository.insertPanelMessage(ctx.db, row);
  }
  publishMessage(ctx, queued, 'new');
  const mediaDetails = file ? { media: { contentType: file.contentType, size: file.size, filename: file.filename } } : {};
  await auditRepository.record(ctx.db, { actorId: userId, action: 'message.send', target: queued.id, details: { conversationId, contentSid, ...mediaDetails } });
  await takeOnReply(ctx, conversationId, userId);

  let sent: MessageDto | null;
  try {
    const answer = await ctx.twilio.send({
      to: whatsappAddress(conversation.phone),
      from: via.from,
      messagingServiceSid: via.messagingServiceSid,
      ...(contentSid ? { contentSid, contentVariables: contentVariables ?? undefined } : { body: body ?? undefined }),
      ...(mediaUrl ? { mediaUrl: [mediaUrl] } : {}),
      statusCallback: statusCallbackUrl(ctx.baseUrl, queued.id),
    });
    sent = await messageRepository.attachSid(ctx.db, queued.id, answer.sid, { status: answer.status, errorCode: answer.errorCode, errorMessage: answer.errorMessage, at: new Date() }, answer.body);
  } catch (err) {
    if (err instanceof TwilioOutcomeUnknownError) return settleUnconfirmed(ctx, queued.id, err);
    if (!(err instanceof TwilioRequestError)) throw err;
    const text = describeTwilioErrorInBoth(err.code, err.message);
    const rejected = await messageRepository.markRejected(ctx.db, queued.id, err.code, text.en);
    if (rejected) publishMessage(ctx, rejected, 'updated');
    throw new TwilioSendError(text.en, text.es, err.code ?? undefined);
  }
  if (!sent) throw new NotFoundError('Message', 'Mensaje');
  publishMessage(ctx, sent, 'updated');
  return sent;
}

/**
 * Twilio's answer never came, so it may have created the message. It is not marked failed:
 * failed is final, and the callback that may still come (its URL carries our id) must be able to
 * attach the SID and move it on. The row waits, queued with a note, until that callback or the
 * sweep of unconfirmed sends (src/messages/unconfirmed-sends.ts) settles it.
 */
async function settleUnconfirmed(ctx: InboxContext, id: string, err: TwilioOutcomeUnknownError): Promise<MessageDto> {
  ctx.log.warn({ messageId: id, reason: err.message }, 'no answer from Twilio to a send; waiting for its callback');
  const row = await messageRepository.noteUnconfirmedSend(ctx.db, id, SEND_NOTES.unconfirmed.en);
  if (!row) throw new NotFoundError('Message', 'Mensaje');
  publishMessage(ctx, row, 'updated');
  // Its callback beat the lost answer: Twilio did create it.
  if (row.sid) return row;
  throw new TwilioTimeoutError();
}
