import { conversationRepository } from '../db/conversation-repository.ts';
import type { MessageDto } from '../realtime/events.ts';
import type { InboxContext } from './context.ts';

/*
 * Events carry the row as its write committed it (each write RETURNs it), and every DTO has its
 * change `seq`: a panel keeps the highest seq it has seen per message, so an event that arrives
 * late never paints stale data over newer.
 */

export function publishMessage(ctx: InboxContext, message: MessageDto, kind: 'new' | 'updated'): void {
  ctx.events.emit(kind === 'new' ? 'message:new' : 'message:updated', message);
  // A new message moves its conversation in the list (order, preview, unread badge).
  if (kind === 'new') publishConversation(ctx, message.conversationId).catch((err) => ctx.log.warn({ err }, 'could not publish conversation'));
}

export async function publishConversation(ctx: InboxContext, conversationId: string): Promise<void> {
  const conversation = await conversationRepository.findDto(ctx.db, conversationId);
  if (conversation) ctx.events.emit('conversation:updated', conversation);
}
