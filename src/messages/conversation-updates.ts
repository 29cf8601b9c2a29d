import { auditRepository } from '../db/audit-repository.ts';
import { conversationRepository } from '../db/conversation-repository.ts';
import { userRepository } from '../db/user-repository.ts';
import type { AssigneeDto, ConversationDto, ConversationPatchDto } from '../contract/api.ts';
import type { InboxContext } from './context.ts';
import { DomainError, NotFoundError } from './errors.ts';
import { getConversation, isUuid } from './inbox-queries.ts';
import { publishConversation } from './publish.ts';

/** Who a conversation can be given to: every active user, agents too. */
export async function listAssignees(ctx: InboxContext): Promise<AssigneeDto[]> {
  return (await userRepository.list(ctx.db)).filter((u) => !u.disabled).map((u) => ({ id: u.id, name: u.name }));
}

/**
 * An agent assigns, resolves, reopens or marks unread a conversation. Every open panel sees it
 * through the conversation feed (the seq moved), and each field that changed is audited.
 */
export async function updateConversation(ctx: InboxContext, id: string, actorId: string, patch: ConversationPatchDto): Promise<ConversationDto> {
  if (!isUuid(id)) throw new NotFoundError('Conversation', 'Conversación');
  if (patch.assigneeId != null) {
    const user = isUuid(patch.assigneeId) ? await userRepository.findById(ctx.db, patch.assigneeId) : null;
    if (!user || user.disabled) {
      throw new DomainError('validation', 'assigneeId: no active user has this id', 'assigneeId: ningún usuario activo tiene este id');
    }
  }
  const change = await conversationRepository.update(ctx.db, id, patch);
  if (!change) throw new NotFoundError('Conversation', 'Conversación');
  const { before, after } = change;
  const audits: { action: string; details: Record<string, unknown> }[] = [];
  if (before.assigneeId !== after.assigneeId) audits.push({ action: 'conversation.assign', details: { from: before.assigneeId, to: after.assigneeId } });
  if (before.status !== after.status) audits.push({ action: 'conversation.status', details: { from: before.status, to: after.status } });
  if (before.unreadCount !== after.unreadCount) audits.push({ action: 'conversation.unread', details: { unreadCount: after.unreadCount } });
  for (const a of audits) await auditRepository.record(ctx.db, { actorId, action: a.action, target: id, details: a.details });
  if (audits.length) publishConversation(ctx, id);
  return getConversation(ctx, id);
}

/**
 * An agent's reply in a conversation nobody has makes it theirs, when the admins want that
 * (`replyTakesConversation`, on by default).
 */
export async function takeOnReply(ctx: InboxContext, conversationId: string, userId: string): Promise<void> {
  if (!(await ctx.settings.get()).replyTakesConversation) return;
  if (!(await conversationRepository.takeIfUnassigned(ctx.db, conversationId, userId))) return;
  await auditRepository.record(ctx.db, { actorId: userId, action: 'conversation.assign', target: conversationId, details: { from: null, to: userId, reason: 'reply' } });
  publishConversation(ctx, conversationId);
}
