import type { TimelineItemDto } from '../contract/api.ts';
import type { Queryable } from './database.ts';
import { exactTimeText } from './exact-time.ts';
import { MESSAGE_COLUMNS, toMessageDto, type MessageRow } from './message-repository.ts';
import { NOTE_COLUMNS, toNoteDto, type NoteRow } from './note-repository.ts';

export const timelineRepository = {
  /**
   * A chat's messages and notes in one order, newest first, before the keyset `before`: one
   * statement, each side served by its (conversation_id, created_at DESC, id DESC) index and cut
   * to `limit` before the two are merged. Ids are UUIDs from one space, so (created_at, id) orders
   * both kinds together and a cursor from either kind pages on across both. `cursorAt`: the
   * item's time to the microsecond, for the next page's cursor.
   */
  async listForConversation(q: Queryable, conversationId: string, before: { createdAt: string; id: string } | null, limit: number): Promise<{ item: TimelineItemDto; cursorAt: string }[]> {
    const { rows } = await q.query<({ kind: 'message'; item: MessageRow } | { kind: 'note'; item: NoteRow }) & { cursor_at: string }>(
      `SELECT t.kind, t.item, ${exactTimeText('t.created_at')} AS cursor_at FROM (
         (SELECT 'message' AS kind, m.created_at, m.id, (SELECT to_jsonb(x) FROM (SELECT ${MESSAGE_COLUMNS}) x) AS item
          FROM messages m
          WHERE m.conversation_id = $1 AND ($2::timestamptz IS NULL OR (m.created_at, m.id) < ($2::timestamptz, $3::uuid))
          ORDER BY m.created_at DESC, m.id DESC LIMIT $4)
         UNION ALL
         (SELECT 'note' AS kind, n.created_at, n.id, (SELECT to_jsonb(x) FROM (SELECT ${NOTE_COLUMNS}) x) AS item
          FROM notes n
          WHERE n.conversation_id = $1 AND ($2::timestamptz IS NULL OR (n.created_at, n.id) < ($2::timestamptz, $3::uuid))
          ORDER BY n.created_at DESC, n.id DESC LIMIT $4)
       ) t ORDER BY t.created_at DESC, t.id DESC LIMIT $4`,
      [conversationId, before?.createdAt ?? null, before?.id ?? null, limit],
    );
    return rows.map((r) => ({ item: r.kind === 'note' ? toNoteDto(r.item) : toMessageDto(r.item), cursorAt: r.cursor_at }));
  },
};
