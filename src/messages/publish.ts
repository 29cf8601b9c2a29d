import { conversationRepository } from '../db/conversation-repository.ts';
import type { MessageDto } from '../realtime/events.ts';
import type { InboxContext } from './context.ts';

/*
 * Events carry the row as its write committed it (each write RETURNs it), and every DTO has its
 * change `seq`: a panel keeps the highest seq it has seen per message, so an event that arrives
 * late never paints stale data over newer.
 */

export function publishMessages(ctx: InboxContext, created: MessageDto[], updated: MessageDto[]): void {
  for (const m of created) ctx.events.emit('message:new', m);
  for (const m of updated) ctx.events.emit('message:updated', m);
  // New messages move their conversations in the list (order, preview, unread badge): one read for all.
  if (created.length) {
    const ids = [...new Set(created.map((m) => m.conversationId))];
    conversationRepository
      .findManyDto(ctx.db, ids)
      .then((conversations) => conversations.forEach((c) => ctx.events.emit('conversation:updated', c)))
      .catch((err) => ctx.log.warn({ err }, 'could not publish conversations'));
  }
}

export function publishMessage(ctx: InboxContext, message: MessageDto, kind: 'new' | 'updated'): void {
  publishMessages(ctx, kind === 'new' ? [message] : [], kind === 'updated' ? [message] : []);
}

export async function publishConversation(ctx: InboxContext, conversationId: string): Promise<void> {
  const conversation = await conversationRepository.findDto(ctx.db, conversationId);
  if (conversation) ctx.events.emit('conversation:updated', conversation);
}
