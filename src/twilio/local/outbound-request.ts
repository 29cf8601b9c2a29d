import { badRequest } from './twilio-errors.ts';
import type { LocalStore, LocalTemplate } from './store.ts';
import { isWhatsappAddress } from '../../messages/addresses.ts';

// POST .../Messages.json as Twilio checks it: the same error codes, in the same order, before
// anything is stored. twilio-node sends the form with qs `arrayFormat: 'repeat'`, so repeated
// MediaUrl arrive as MediaUrl=a&MediaUrl=b.

export interface OutboundRequest {
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string | null;
  template: LocalTemplate | null;
  contentVariables: Record<string, string> | null;
  mediaUrls: string[];
  statusCallback: string | null;
}

// WhatsApp through Twilio: at most 1600 characters per message.
const MAX_BODY = 1600;

const isHttpUrl = (value: string) => {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
};

function parseContentVariables(raw: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badRequest(21656, 'The ContentVariables Parameter is invalid.');
  }
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
}

export function parseOutboundRequest(form: URLSearchParams, store: LocalStore, ourNumbers: readonly string[]): OutboundRequest {
  const to = form.get('To');
  const from = form.get('From') || null;
  const messagingServiceSid = form.get('MessagingServiceSid') || null;
  const body = form.get('Body') || null;
  const contentSid = form.get('ContentSid') || null;
  const rawVariables = form.get('ContentVariables') || null;
  const mediaUrls = form.getAll('MediaUrl').filter(Boolean);
  const statusCallback = form.get('StatusCallback') || null;

  if (!to) throw badRequest(21604, "A 'To' phone number is required.");
  if (!isWhatsappAddress(to)) throw badRequest(21211, `Invalid 'To' Phone Number: ${to}`);
  if (!from && !messagingServiceSid) throw badRequest(21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message");
  if (from && !from.startsWith('whatsapp:')) throw badRequest(21910, 'Invalid From and To pair. From and To should be of the same channel');
  if (from && !ourNumbers.includes(from)) throw badRequest(63007, `Twilio could not find a Channel with the specified From address: ${from}`);
  if (messagingServiceSid && !store.services.has(messagingServiceSid)) throw badRequest(21701, `The Messaging Service Sid ${messagingServiceSid} is invalid.`);
  if (statusCallback && !isHttpUrl(statusCallback)) throw badRequest(21609, `Invalid StatusCallback url: ${statusCallback}`);
  if (rawVariables && !contentSid) throw badRequest(21654, 'ContentVariables cannot be used without a ContentSid.');
  const template = contentSid ? store.templates.get(contentSid) ?? null : null;
  if (contentSid && !template) throw badRequest(21655, `The Content SID ${contentSid} is invalid.`);
  const contentVariables = rawVariables ? parseContentVariables(rawVariables) : null;
  if (!body && !template && !mediaUrls.length) throw badRequest(21602, 'Message body is required.');
  if (body && body.length > MAX_BODY) throw badRequest(21617, `The concatenated message body exceeds the ${MAX_BODY} character limit.`);
  const badMedia = mediaUrls.find((u) => !isHttpUrl(u));
  if (badMedia) throw badRequest(21620, `Invalid media URL(s): ${badMedia}`);

  return { to, from, messagingServiceSid, body, template, contentVariables, mediaUrls, statusCallback };
}

/**
 * The text a template sends: {{n}} filled from the send's ContentVariables, else from the
 * template's defaults (the Content API's `variables`); a placeholder with neither stays visible.
 */
export function renderTemplate(t: LocalTemplate, variables: Record<string, string> | null): string {
  return t.body.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, key: string) => variables?.[key] ?? t.variables[key] ?? whole);
}
