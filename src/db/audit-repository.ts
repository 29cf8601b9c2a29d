import type { Queryable } from './database.ts';

export interface AuditEntry {
  id: number;
  at: string;
  actor: { id: string; name: string; email: string } | null;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
}

export const auditRepository = {
  async record(q: Queryable, e: { actorId: string | null; action: string; target: string | null; details?: Record<string, unknown> }): Promise<void> {
    await q.query('INSERT INTO audit_log (actor_id, action, target, details) VALUES ($1, $2, $3, $4)', [e.actorId, e.action, e.target, JSON.stringify(e.details ?? {})]);
  },

  async latest(q: Queryable, limit: number): Promise<AuditEntry[]> {
    const { rows } = await q.query<{ id: string; at: Date; actor_id: string | null; name: string | null; email: string | null; action: string; target: string | null; details: Record<string, unknown> }>(
      `SELECT a.id, a.at, a.actor_id, u.name, u.email, a.action, a.target, a.details
       FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id ORDER BY a.id DESC LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      id: Number(r.id), at: new Date(r.at).toISOString(), action: r.action, target: r.target, details: r.details,
      actor: r.actor_id ? { id: r.actor_id, name: r.name ?? '', email: r.email ?? '' } : null,
    }));
  },
};
