import { auditRepository } from '../db/audit-repository.ts';
import { contactRepository } from '../db/contact-repository.ts';
import type { ContactDto, ContactPatchDto } from '../contract/api.ts';
import type { InboxContext } from './context.ts';
import { NotFoundError } from './errors.ts';
import { isUuid } from './inbox-queries.ts';
import { publishConversation } from './publish.ts';

/**
 * An agent renames a contact or edits its notes. The list entry of its conversation carries the
 * contact, so every open panel (on every instance) sees the change through the conversation feed.
 */
export async function updateContact(ctx: InboxContext, id: string, userId: string, patch: ContactPatchDto): Promise<ContactDto> {
  const updated = isUuid(id) ? await contactRepository.update(ctx.db, id, patch) : null;
  if (!updated) throw new NotFoundError('Contact', 'Contacto');
  if (updated.conversationId) publishConversation(ctx, updated.conversationId);
  await auditRepository.record(ctx.db, { actorId: userId, action: 'contact.update', target: id, details: { conversationId: updated.conversationId, ...patch } });
  return updated.contact;
}
