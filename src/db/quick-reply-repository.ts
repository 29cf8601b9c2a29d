import type { QuickReplyDto } from '../contract/api.ts';
import type { Queryable } from './database.ts';
import { iso } from './message-repository.ts';

const COLUMNS = `q.id, q.shortcut, q.body, q.created_at, q.updated_at,
  q.updated_by, (SELECT u.name FROM users u WHERE u.id = q.updated_by) AS updated_by_name`;

interface QuickReplyRow {
  id: string; shortcut: string; body: string; created_at: Date | string; updated_at: Date | string;
  updated_by: string | null; updated_by_name: string | null;
}

const toDto = (r: QuickReplyRow): QuickReplyDto => ({
  id: r.id,
  shortcut: r.shortcut,
  body: r.body,
  createdAt: iso(r.created_at)!,
  updatedAt: iso(r.updated_at)!,
  updatedBy: r.updated_by ? { id: r.updated_by, name: r.updated_by_name ?? '' } : null,
});

/** PostgreSQL's unique_violation: the shortcut is taken (an UPDATE has no ON CONFLICT to lean on). */
const isUniqueViolation = (err: unknown) => (err as { code?: string } | null)?.code === '23505';

export const quickReplyRepository = {
  /** Sorted by shortcut, byte order: the same on PostgreSQL and PGlite whatever their collation. */
  async list(q: Queryable): Promise<QuickReplyDto[]> {
    const { rows } = await q.query<QuickReplyRow>(`SELECT ${COLUMNS} FROM quick_replies q ORDER BY q.shortcut COLLATE "C"`);
    return rows.map(toDto);
  },

  /** Null: the shortcut is taken. */
  async insert(q: Queryable, r: { shortcut: string; body: string; userId: string }): Promise<QuickReplyDto | null> {
    const { rows } = await q.query<QuickReplyRow>(
      `INSERT INTO quick_replies AS q (shortcut, body, created_by, updated_by) VALUES ($1, $2, $3, $3)
       ON CONFLICT (shortcut) DO NOTHING RETURNING ${COLUMNS}`,
      [r.shortcut, r.body, r.userId],
    );
    return rows[0] ? toDto(rows[0]) : null;
  },

  /**
   * The reply as it was and as it is now, in one statement. 'missing': no such id; 'taken': the new
   * shortcut belongs to another reply.
   */
  async update(q: Queryable, id: string, p: { shortcut?: string; body?: string; userId: string }): Promise<{ before: QuickReplyDto; after: QuickReplyDto } | 'missing' | 'taken'> {
    try {
      const { rows } = await q.query<QuickReplyRow & { before_shortcut: string; before_body: string }>(
        `WITH old AS (SELECT id, shortcut, body FROM quick_replies WHERE id = $1 FOR UPDATE)
         UPDATE quick_replies AS q SET shortcut = COALESCE($2, q.shortcut), body = COALESCE($3, q.body), updated_by = $4, updated_at = now()
         FROM old WHERE q.id = old.id
         RETURNING ${COLUMNS}, old.shortcut AS before_shortcut, old.body AS before_body`,
        [id, p.shortcut ?? null, p.body ?? null, p.userId],
      );
      const r = rows[0];
      if (!r) return 'missing';
      return { before: { ...toDto(r), shortcut: r.before_shortcut, body: r.before_body }, after: toDto(r) };
    } catch (err) {
      if (isUniqueViolation(err)) return 'taken';
      throw err;
    }
  },

  /** Null: no such id. */
  async delete(q: Queryable, id: string): Promise<QuickReplyDto | null> {
    const { rows } = await q.query<QuickReplyRow>(`DELETE FROM quick_replies q WHERE q.id = $1 RETURNING ${COLUMNS}`, [id]);
    return rows[0] ? toDto(rows[0]) : null;
  },
};
