import { conversationRepository } from '../db/conversation-repository.ts';
import { messageRepository } from '../db/message-repository.ts';
import type { InboxContext } from './context.ts';

/**
 * Emits a message's current state, read after the commit: an event that arrives late still
 * carries the newest data, never a stale copy.
 */
export async function publishMessage(ctx: InboxContext, messageId: string, kind: 'new' | 'updated'): Promise<void> {
  const dto = await messageRepository.findDto(ctx.db, messageId);
  if (!dto) return;
  ctx.events.emit(kind === 'new' ? 'message:new' : 'message:updated', dto);
  if (kind === 'new') await publishConversation(ctx, dto.conversationId);
}

export async function publishConversation(ctx: InboxContext, conversationId: string): Promise<void> {
  const conversation = await conversationRepository.findDto(ctx.db, conversationId);
  if (conversation) ctx.events.emit('conversation:updated', conversation);
}

/** Publishing is best effort: the write is committed and a reconnecting panel catches up through /api/changes. */
export function publishInBackground(ctx: InboxContext, messageId: string, kind: 'new' | 'updated'): void {
  publishMessage(ctx, messageId, kind).catch((err) => ctx.log.warn({ err, messageId }, 'could not publish message event'));
}
