import { z } from 'zod';
import { conversationRepository, type ConversationFilter } from '../db/conversation-repository.ts';
import { messageRepository } from '../db/message-repository.ts';
import { noteRepository } from '../db/note-repository.ts';
import { timelineRepository } from '../db/timeline-repository.ts';
import type { ChangesDto, ConversationCountsDto, ConversationDto, ConversationFilterDto, MessageDto, MessageSearchHitDto, PageDto } from '../contract/api.ts';
import type { InboxContext } from './context.ts';
import { DomainError, NotFoundError } from './errors.ts';
import { publishConversation } from './publish.ts';

// Cursors are opaque to clients: the keyset of the last item of the previous page.
const encodeCursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
function decodeCursor<T>(cursor: string | undefined, schema: z.ZodType<T>): T | null {
  if (!cursor) return null;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    v = undefined;
  }
  const parsed = schema.safeParse(v);
  if (parsed.success) return parsed.data;
  throw new DomainError('validation', 'Invalid cursor', 'Cursor no válido');
}
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A cursor's time is exactly what encodeCursor wrote: a row's time to the microsecond (cursors
// made before carried milliseconds, and still work), UTC, years 0001-9999. Date.parse alone let
// "1", "March 7" or year 275760 through, and PostgreSQL failed on them (500).
const ISO_UTC = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3})(\d{3})?Z$/;
const cursorTime = z.string().refine((s) => {
  const m = ISO_UTC.exec(s);
  if (!m || s.startsWith('0000')) return false;
  const ms = `${m[1]}Z`;
  const t = Date.parse(ms);
  return !Number.isNaN(t) && new Date(t).toISOString() === ms;
});
const cursorId = z.string().regex(UUID);
const conversationKey = z.strictObject({ at: cursorTime.nullable(), id: cursorId });
const messageKey = z.strictObject({ createdAt: cursorTime, id: cursorId });

// A type check first: a non-string would be converted with toString (an array nested 10,000 deep overflows the stack).
export const isUuid = (s: unknown): s is string => typeof s === 'string' && UUID.test(s);

/** The list's filter as the repository takes it: `me` is the signed-in user. */
function toFilter(f: ConversationFilterDto, me: string): ConversationFilter {
  return {
    ...(f.assignee ? { assignee: { id: f.assignee === 'me' ? me : f.assignee === 'none' ? null : f.assignee } } : {}),
    ...(f.status ? { status: f.status } : {}),
    ...(f.unread ? { unread: true } : {}),
    ...(f.sender ? { senderId: f.sender } : {}),
  };
}

export async function listConversations(ctx: InboxContext, o: { q?: string; cursor?: string; limit: number; filter?: ConversationFilterDto; me?: string }) {
  const after = decodeCursor(o.cursor, conversationKey);
  const filter = o.filter && o.me ? toFilter(o.filter, o.me) : undefined;
  const rows = await conversationRepository.list(ctx.db, { search: o.q?.trim() || null, after, limit: o.limit + 1, filter });
  const page = rows.slice(0, o.limit);
  const last = page[page.length - 1];
  return { items: page.map((r) => r.item), nextCursor: rows.length > o.limit && last ? encodeCursor({ at: last.cursorAt, id: last.item.id }) : null };
}

/** Messages whose text holds `q`, newest first, each with its conversation (see MessageSearchHitDto). */
export async function searchMessages(ctx: InboxContext, o: { q: string; cursor?: string; limit: number }): Promise<PageDto<MessageSearchHitDto>> {
  const before = decodeCursor(o.cursor, messageKey);
  const rows = await messageRepository.search(ctx.db, o.q, before, o.limit + 1);
  const page = rows.slice(0, o.limit);
  const conversations = new Map((await conversationRepository.findManyDto(ctx.db, [...new Set(page.map((r) => r.item.conversationId))])).map((c) => [c.id, c]));
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({ message: r.item, conversation: conversations.get(r.item.conversationId)! })),
    nextCursor: rows.length > o.limit && last ? encodeCursor({ createdAt: last.cursorAt, id: last.item.id }) : null,
  };
}

export async function conversationCounts(ctx: InboxContext, me: string, filter: ConversationFilterDto & { q?: string }): Promise<ConversationCountsDto> {
  return conversationRepository.counts(ctx.db, me, toFilter(filter, me), filter.q?.trim() || null);
}

export async function getConversation(ctx: InboxContext, id: string): Promise<ConversationDto> {
  const c = isUuid(id) ? await conversationRepository.findDto(ctx.db, id) : null;
  if (!c) throw new NotFoundError('Conversation', 'Conversación');
  return c;
}

/** A page of a conversation's timeline (messages and notes), oldest to newest; nextCursor points at the older page. */
export async function listMessages(ctx: InboxContext, conversationId: string, o: { cursor?: string; limit: number }) {
  await getConversation(ctx, conversationId);
  const before = decodeCursor(o.cursor, messageKey);
  const rows = await timelineRepository.listForConversation(ctx.db, conversationId, before, o.limit + 1);
  const page = rows.slice(0, o.limit);
  const oldest = page[page.length - 1];
  return {
    items: page.map((r) => r.item).reverse(),
    nextCursor: rows.length > o.limit && oldest ? encodeCursor({ createdAt: oldest.cursorAt, id: oldest.item.id }) : null,
  };
}

export async function markConversationRead(ctx: InboxContext, id: string): Promise<ConversationDto> {
  if (!isUuid(id) || !(await conversationRepository.markRead(ctx.db, id))) throw new NotFoundError('Conversation', 'Conversación');
  publishConversation(ctx, id);
  return getConversation(ctx, id);
}

const CHANGES_LIMIT = 1000;

/** Everything written after `seq`, so a panel that was offline catches up on all of it. */
export async function changesSince(ctx: InboxContext, seq: number): Promise<ChangesDto> {
  const [messages, conversations, notes] = await Promise.all([
    messageRepository.changedSince(ctx.db, seq, CHANGES_LIMIT),
    conversationRepository.changedSince(ctx.db, seq, CHANGES_LIMIT),
    noteRepository.changedSince(ctx.db, seq, CHANGES_LIMIT),
  ]);
  const lists: { seq: number }[][] = [messages, conversations, notes];
  const more = lists.some((l) => l.length === CHANGES_LIMIT);
  // With a page cut short, resume from the lowest last seq of the full lists, so nothing is skipped.
  const ends = lists.map((l) => l.at(-1)?.seq).filter((n): n is number => n !== undefined);
  const top = more ? Math.min(...lists.filter((l) => l.length === CHANGES_LIMIT).map((l) => l.at(-1)!.seq)) : Math.max(seq, ...ends);
  return {
    messages: messages.filter((m) => m.seq <= top),
    conversations: conversations.filter((c) => c.seq <= top),
    notes: notes.filter((n) => n.seq <= top),
    seq: top,
    more,
  };
}
