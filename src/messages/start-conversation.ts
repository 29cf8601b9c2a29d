import { auditRepository } from '../db/audit-repository.ts';
import { conversationRepository } from '../db/conversation-repository.ts';
import type { ConversationDto, MessageDto, NewConversationDto } from '../contract/api.ts';
import { updateContact } from './contacts.ts';
import type { InboxContext } from './context.ts';
import { getConversation } from './inbox-queries.ts';
import { parseCustomerPhone } from './phone-numbers.ts';
import { approvedTemplate, sendFromPanel } from './send-message.ts';
import { chooseSender } from './senders.ts';
import type { TemplateCatalog } from './template-catalog.ts';

export interface StartedConversation {
  /** False: the number already had a conversation, and the template went to it. */
  created: boolean;
  conversation: ConversationDto;
  message: MessageDto;
}

/**
 * An agent writes first to a number, with a template (the only thing WhatsApp lets a business
 * open a conversation with). Everything that can refuse the request (the number, the country,
 * the template, which of our numbers writes) is checked before the contact is made, so a refused request leaves nothing behind.
 * The send itself is the panel's one send path.
 */
export async function startConversation(
  ctx: InboxContext & { templates: TemplateCatalog; defaultCountry: string },
  userId: string,
  request: NewConversationDto,
): Promise<StartedConversation> {
  const phone = parseCustomerPhone(request.phone, request.country ?? ctx.defaultCountry);
  const senderAddress = await chooseSender(ctx, request.sender);
  await approvedTemplate(ctx.templates, request.contentSid);

  const { conversationId, contactId, created } = await conversationRepository.ensureForNewChat(ctx.db, phone, senderAddress);
  if (created) await auditRepository.record(ctx.db, { actorId: userId, action: 'conversation.create', target: conversationId, details: { phone } });
  // A name given is the contact's chosen name, as a rename in the contact panel; none leaves the name it has.
  const name = request.name?.trim();
  if (name) await updateContact(ctx, contactId, userId, { name });

  const message = await sendFromPanel(ctx, conversationId, userId, { contentSid: request.contentSid, contentVariables: request.contentVariables ?? {} });
  return { created, conversation: await getConversation(ctx, conversationId), message };
}
