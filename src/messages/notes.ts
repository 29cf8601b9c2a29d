import { auditRepository } from '../db/audit-repository.ts';
import { noteRepository } from '../db/note-repository.ts';
import type { NoteDto } from '../contract/api.ts';
import type { InboxContext } from './context.ts';
import { NotFoundError } from './errors.ts';
import { isUuid } from './inbox-queries.ts';

/**
 * An internal note in a chat: written for the team and never sent to WhatsApp, so it changes
 * nothing in the conversation list (last message, unread, window). The panels with the chat open
 * get it at once (`note:new`, through the chat's room on every instance).
 */
export async function addNote(ctx: InboxContext, conversationId: string, userId: string, body: string): Promise<NoteDto> {
  const note = isUuid(conversationId) ? await noteRepository.insert(ctx.db, { conversationId, authorId: userId, body }) : null;
  if (!note) throw new NotFoundError('Conversation', 'Conversación');
  ctx.events.emit('note:new', note);
  await auditRepository.record(ctx.db, { actorId: userId, action: 'note.create', target: note.id, details: { conversationId } });
  return note;
}
