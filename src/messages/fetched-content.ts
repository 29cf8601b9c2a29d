import type { StatusUpdate } from '../db/message-repository.ts';
import { renderTemplate, type TwilioMessage } from '../twilio/gateway.ts';
import type { TemplateCatalog } from './template-catalog.ts';

/**
 * The text to show for an outside message as Twilio fetched or listed it. A Content API template
 * sent through a Messaging Service can come back with an empty body (twilio-node #1081): then the
 * template's own text, when we know which one it was; null: a placeholder, never a blank bubble.
 */
export async function shownText(
  templates: TemplateCatalog,
  m: TwilioMessage,
  template: { contentSid: string | null; contentVariables: Record<string, string> | null },
): Promise<string | null> {
  if (m.body || m.numMedia > 0) return m.body;
  const found = template.contentSid ? await templates.find(template.contentSid).catch(() => null) : null;
  return found ? renderTemplate(found.body, template.contentVariables) : null;
}

/** The status Twilio reports for it, as an advance (never backwards) of our row. */
export const fetchedStatus = (m: TwilioMessage): StatusUpdate => ({
  status: m.status, errorCode: m.errorCode, errorMessage: m.errorMessage, at: m.dateSent ?? new Date(),
});
