import type { NoteDto } from '../contract/api.ts';
import type { Queryable } from './database.ts';
import { iso } from './message-repository.ts';

/** A note's columns as the API shows it, over `notes n`. */
export const NOTE_COLUMNS = `n.id, n.conversation_id, n.body, n.created_at, n.seq,
  n.author_id, (SELECT u.name FROM users u WHERE u.id = n.author_id) AS author_name`;

export interface NoteRow {
  id: string; conversation_id: string; body: string; created_at: Date | string; seq: string | number;
  author_id: string | null; author_name: string | null;
}

export const toNoteDto = (r: NoteRow): NoteDto => ({
  kind: 'note',
  id: r.id,
  conversationId: r.conversation_id,
  author: r.author_id ? { id: r.author_id, name: r.author_name ?? '' } : null,
  body: r.body,
  createdAt: iso(r.created_at)!,
  seq: Number(r.seq),
});

export const noteRepository = {
  /**
   * A new note. Its time is cut to the millisecond, as the API shows it, so a cursor made from a
   * note names exactly that note. Null: no such conversation.
   */
  async insert(q: Queryable, n: { conversationId: string; authorId: string; body: string }): Promise<NoteDto | null> {
    const { rows } = await q.query<NoteRow>(
      `INSERT INTO notes AS n (conversation_id, author_id, body, created_at)
       SELECT c.id, $2, $3, date_trunc('milliseconds', now()) FROM conversations c WHERE c.id = $1
       RETURNING ${NOTE_COLUMNS}`,
      [n.conversationId, n.authorId, n.body],
    );
    return rows[0] ? toNoteDto(rows[0]) : null;
  },

  async changedSince(q: Queryable, seq: number, limit: number): Promise<NoteDto[]> {
    const { rows } = await q.query<NoteRow>(`SELECT ${NOTE_COLUMNS} FROM notes n WHERE n.seq > $1 ORDER BY n.seq LIMIT $2`, [seq, limit]);
    return rows.map(toNoteDto);
  },
};
