import type { MessageDto } from '../contract/api.ts';
import type { InboxContext } from './context.ts';

/*
 * Events carry the row as its write committed it (each write RETURNs it), and every DTO has its
 * change `seq`: a panel keeps the highest seq it has seen per message, so an event that arrives
 * late never paints stale data over newer. Message events are for the panels showing that chat;
 * what they change in the conversation list (order, preview, ticks, unread badge) goes to every
 * panel, coalesced by the conversation feed.
 */

export function publishMessages(ctx: InboxContext, created: MessageDto[], updated: MessageDto[]): void {
  for (const m of created) ctx.events.emit('message:new', m);
  for (const m of updated) ctx.events.emit('message:updated', m);
  if (created.length) ctx.conversations.changed(created.map((m) => m.conversationId));
  if (updated.length) ctx.conversations.messagesChanged(updated);
}

export function publishMessage(ctx: InboxContext, message: MessageDto, kind: 'new' | 'updated'): void {
  publishMessages(ctx, kind === 'new' ? [message] : [], kind === 'updated' ? [message] : []);
}

export function publishConversation(ctx: InboxContext, conversationId: string): void {
  ctx.conversations.changed([conversationId]);
}
