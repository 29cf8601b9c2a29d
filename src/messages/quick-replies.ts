import { auditRepository } from '../db/audit-repository.ts';
import { quickReplyRepository } from '../db/quick-reply-repository.ts';
import type { QuickReplyDto } from '../contract/api.ts';
import type { InboxContext } from './context.ts';
import { DomainError, NotFoundError } from './errors.ts';
import { isUuid } from './inbox-queries.ts';

/*
 * The team's canned answers. Each write and its audit row commit together; then every panel, on
 * every instance, is told to fetch the list again (`quickReplies:changed`).
 */

class ShortcutTakenError extends DomainError {
  constructor(shortcut: string) {
    super('conflict', `A quick reply with the shortcut /${shortcut} already exists`, `Ya existe una respuesta rápida con el atajo /${shortcut}`);
  }
}

const notFound = () => new NotFoundError('Quick reply', 'Respuesta rápida');

export const listQuickReplies = (ctx: InboxContext): Promise<QuickReplyDto[]> => quickReplyRepository.list(ctx.db);

export async function createQuickReply(ctx: InboxContext, userId: string, r: { shortcut: string; body: string }): Promise<QuickReplyDto> {
  const created = await ctx.db.transaction(async (tx) => {
    const row = await quickReplyRepository.insert(tx, { ...r, userId });
    if (!row) throw new ShortcutTakenError(r.shortcut);
    await auditRepository.record(tx, { actorId: userId, action: 'quickReply.create', target: row.id, details: { shortcut: row.shortcut } });
    return row;
  });
  ctx.events.emit('quickReplies:changed', { action: 'create', id: created.id });
  return created;
}

export async function updateQuickReply(ctx: InboxContext, userId: string, id: string, p: { shortcut?: string; body?: string }): Promise<QuickReplyDto> {
  if (!isUuid(id)) throw notFound();
  const updated = await ctx.db.transaction(async (tx) => {
    const result = await quickReplyRepository.update(tx, id, { ...p, userId });
    // Thrown, not returned: the failed statement has aborted the transaction, which must roll back.
    if (result === 'taken') throw new ShortcutTakenError(p.shortcut!);
    if (result === 'missing') throw notFound();
    const { before, after } = result;
    const details = {
      shortcut: after.shortcut,
      ...(before.shortcut !== after.shortcut ? { from: before.shortcut } : {}),
      ...(before.body !== after.body ? { bodyChanged: true } : {}),
    };
    await auditRepository.record(tx, { actorId: userId, action: 'quickReply.update', target: id, details });
    return after;
  });
  ctx.events.emit('quickReplies:changed', { action: 'update', id });
  return updated;
}

export async function deleteQuickReply(ctx: InboxContext, userId: string, id: string): Promise<void> {
  if (!isUuid(id)) throw notFound();
  await ctx.db.transaction(async (tx) => {
    const deleted = await quickReplyRepository.delete(tx, id);
    if (!deleted) throw notFound();
    await auditRepository.record(tx, { actorId: userId, action: 'quickReply.delete', target: id, details: { shortcut: deleted.shortcut } });
  });
  ctx.events.emit('quickReplies:changed', { action: 'delete', id });
}
