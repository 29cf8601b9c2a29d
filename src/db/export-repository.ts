import type { MessageDto, MessageSource, MessageStatus } from '../contract/api.ts';
import { exactTimeText } from './exact-time.ts';
import type { Queryable } from './database.ts';

// The reads of `wa-inbox export`. Everything is read in keyset pages so that an export of any size
// holds one page in memory, never the whole table.

export interface ExportConversationRow {
  id: string;
  phone: string;
  name: string | null;
  name_source: 'none' | 'profile' | 'user';
  wa_id: string | null;
  created_at: Date;
  last_message_at: Date | null;
}

export interface ExportMessageRow {
  id: string;
  sid: string | null;
  direction: MessageDto['direction'];
  source: MessageSource;
  status: MessageStatus;
  body: string | null;
  media: { url: string | null; contentType: string | null }[];
  content_sid: string | null;
  content_variables: Record<string, string> | null;
  error_code: number | null;
  error_message: string | null;
  sent_by_name: string | null;
  sent_by_email: string | null;
  created_at: Date;
  sent_at: Date | null;
  delivered_at: Date | null;
  read_at: Date | null;
  failed_at: Date | null;
  /** created_at to the microsecond, as text: a JS Date keeps milliseconds only, too coarse for a keyset. */
  cursor_at: string;
}

export interface MessageCursor {
  at: string;
  id: string;
}

const CONVERSATION_SELECT = `
  SELECT c.id, k.phone, k.name, k.name_source, k.wa_id, c.created_at, c.last_message_at
  FROM conversations c JOIN contacts k ON k.id = c.contact_id`;

export const exportRepository = {
  /** The first statement of the export's transaction: every page after it reads the same snapshot, and nothing is written. */
  async beginSnapshot(q: Queryable): Promise<void> {
    await q.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
  },

  async findConversationById(q: Queryable, id: string): Promise<ExportConversationRow | null> {
    const { rows } = await q.query<ExportConversationRow>(`${CONVERSATION_SELECT} WHERE c.id = $1::uuid`, [id]);
    return rows[0] ?? null;
  },

  async findConversationByPhone(q: Queryable, phone: string): Promise<ExportConversationRow | null> {
    const { rows } = await q.query<ExportConversationRow>(`${CONVERSATION_SELECT} WHERE k.phone = $1`, [phone]);
    return rows[0] ?? null;
  },

  /** Every conversation, ordered by the customer's phone (unique); `afterPhone` is the last of the previous page. */
  async conversationsPage(q: Queryable, afterPhone: string | null, limit: number): Promise<ExportConversationRow[]> {
    const { rows } = await q.query<ExportConversationRow>(
      `${CONVERSATION_SELECT} WHERE ($1::text IS NULL OR k.phone > $1::text) ORDER BY k.phone LIMIT $2`,
      [afterPhone, limit],
    );
    return rows;
  },

  /** A conversation's messages oldest first (ties by id), after `after`; served by messages_conversation_time read backwards. */
  async messagesPage(q: Queryable, conversationId: string, after: MessageCursor | null, limit: number): Promise<ExportMessageRow[]> {
    const { rows } = await q.query<ExportMessageRow>(
      `SELECT m.id, m.sid, m.direction, m.source, m.status, m.body, m.media, m.content_sid, m.content_variables,
         m.error_code, m.error_message, u.name AS sent_by_name, u.email AS sent_by_email,
         m.created_at, m.sent_at, m.delivered_at, m.read_at, m.failed_at,
         ${exactTimeText('m.created_at')} AS cursor_at
       FROM messages m LEFT JOIN users u ON u.id = m.sent_by
       WHERE m.conversation_id = $1
         AND ($2::timestamptz IS NULL OR (m.created_at, m.id) > ($2::timestamptz, $3::uuid))
       ORDER BY m.created_at, m.id LIMIT $4`,
      [conversationId, after?.at ?? null, after?.id ?? null, limit],
    );
    return rows;
  },
};
