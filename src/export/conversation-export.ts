import type { Database, Queryable } from '../db/database.ts';
import { exportRepository, type ExportConversationRow, type ExportMessageRow, type MessageCursor } from '../db/export-repository.ts';
import type { MessageSource, MessageStatus } from '../contract/api.ts';
import { mediaTypeOf } from '../messages/media-items.ts';

// What `wa-inbox export` writes, whatever the format: conversations with their contact, each with
// its messages oldest first. Read page by page, so memory holds one page whatever the database's size.

export type ExportSelection = { kind: 'all' } | { kind: 'conversation'; id: string } | { kind: 'phone'; phone: string };

export interface ExportedMessage {
  id: string;
  sid: string | null;
  direction: 'inbound' | 'outbound';
  source: MessageSource;
  status: MessageStatus;
  body: string | null;
  contentSid: string | null;
  contentVariables: Record<string, string> | null;
  errorCode: number | null;
  errorMessage: string | null;
  sentBy: { name: string; email: string } | null;
  createdAt: string;
  sentAt: string | null;
  deliveredAt: string | null;
  readAt: string | null;
  failedAt: string | null;
  /** Our media route (it needs a panel session); url null: the media could not be kept. */
  media: { url: string | null; contentType: string | null }[];
}

export interface ExportedConversation {
  id: string;
  /** name: what the panel shows; profileName: WhatsApp's profile name, when that is where the name came from. */
  contact: { phone: string; name: string | null; profileName: string | null };
  createdAt: string;
  lastMessageAt: string | null;
}

export interface ConversationWithMessages extends ExportedConversation {
  messages: AsyncIterable<ExportedMessage>;
}

/** --conversation or --phone named no conversation. */
export class ConversationNotFoundError extends Error {
  constructor(readonly selection: Exclude<ExportSelection, { kind: 'all' }>) {
    super(selection.kind === 'phone' ? `no conversation with ${selection.phone}` : `no conversation with id ${selection.id}`);
    this.name = 'ConversationNotFoundError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());

function toConversation(r: ExportConversationRow): ExportedConversation {
  return {
    id: r.id,
    contact: { phone: r.phone, name: r.name, profileName: r.name_source === 'profile' ? r.name : null },
    createdAt: iso(r.created_at)!,
    lastMessageAt: iso(r.last_message_at),
  };
}

function toMessage(r: ExportMessageRow, baseUrl: string): ExportedMessage {
  // Rows stored before media was checked on arrival may hold anything: only a list of items is read.
  const media = Array.isArray(r.media) ? r.media : [];
  return {
    id: r.id,
    sid: r.sid,
    direction: r.direction,
    source: r.source,
    status: r.status,
    body: r.body,
    contentSid: r.content_sid,
    contentVariables: r.content_variables,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    sentBy: r.sent_by_email ? { name: r.sent_by_name ?? '', email: r.sent_by_email } : null,
    createdAt: iso(r.created_at)!,
    sentAt: iso(r.sent_at),
    deliveredAt: iso(r.delivered_at),
    readAt: iso(r.read_at),
    failedAt: iso(r.failed_at),
    media: media.map((m, i) => ({
      url: m && typeof m === 'object' && m.url ? `${baseUrl}/api/media/${r.id}/${i}` : null,
      contentType: mediaTypeOf(m?.contentType),
    })),
  };
}

async function* messagesOf(q: Queryable, conversationId: string, baseUrl: string, pageSize: number): AsyncIterable<ExportedMessage> {
  let after: MessageCursor | null = null;
  for (;;) {
    const rows = await exportRepository.messagesPage(q, conversationId, after, pageSize);
    for (const r of rows) yield toMessage(r, baseUrl);
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1]!;
    after = { at: last.cursor_at, id: last.id };
  }
}

async function* allConversationRows(q: Queryable, pageSize: number): AsyncIterable<ExportConversationRow> {
  let afterPhone: string | null = null;
  for (;;) {
    const rows = await exportRepository.conversationsPage(q, afterPhone, pageSize);
    yield* rows;
    if (rows.length < pageSize) return;
    afterPhone = rows[rows.length - 1]!.phone;
  }
}

/**
 * The selected conversations, each with its messages to iterate before the next conversation is
 * read. A named conversation is looked up at once, so that one that does not exist fails before
 * anything is written.
 */
export async function selectConversations(
  q: Queryable,
  selection: ExportSelection,
  o: { baseUrl: string; pageSize?: number },
): Promise<AsyncIterable<ConversationWithMessages>> {
  const pageSize = o.pageSize ?? 1000;
  const withMessages = (r: ExportConversationRow): ConversationWithMessages => ({ ...toConversation(r), messages: messagesOf(q, r.id, o.baseUrl, pageSize) });
  if (selection.kind === 'all') {
    return (async function* () {
      for await (const r of allConversationRows(q, pageSize)) yield withMessages(r);
    })();
  }
  const row = selection.kind === 'conversation'
    ? UUID.test(selection.id) ? await exportRepository.findConversationById(q, selection.id) : null
    : await exportRepository.findConversationByPhone(q, selection.phone);
  if (!row) throw new ConversationNotFoundError(selection);
  return (async function* () {
    yield withMessages(row);
  })();
}

/** Runs `work` on one consistent picture of the database: rows written meanwhile are not half in the export. */
export const inSnapshot = <T>(db: Database, work: (q: Queryable) => Promise<T>): Promise<T> =>
  db.transaction(async (tx) => {
    await exportRepository.beginSnapshot(tx);
    return work(tx);
  });
