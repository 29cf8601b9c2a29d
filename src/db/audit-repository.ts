import type { AuditEntryDto } from '../contract/api.ts';
import { CONTACT_COLUMNS, toContactDto } from './contact-repository.ts';
import type { Queryable } from './database.ts';

export const auditRepository = {
  async record(q: Queryable, e: { actorId: string | null; action: string; target: string | null; details?: Record<string, unknown> }): Promise<void> {
    await q.query('INSERT INTO audit_log (actor_id, action, target, details) VALUES ($1, $2, $3, $4)', [e.actorId, e.action, e.target, JSON.stringify(e.details ?? {})]);
  },

  /** Newest first; `beforeId` (the last id of the previous page) pages back. */
  async page(q: Queryable, o: { beforeId: number | null; limit: number }): Promise<AuditEntryDto[]> {
    const { rows } = await q.query<{
      id: string; at: Date; action: string; target: string | null; details: Record<string, unknown>;
      actor_id: string | null; actor_name: string | null; actor_email: string | null;
      user_id: string | null; user_name: string | null; user_email: string | null;
      conversation_id: string | null; body: string | null; contact_id: string | null; phone: string; name: string | null;
      profile_name: string | null; notes: string; contact_created_at: Date; last_inbound_at: Date | null;
      cv_id: string | null; cv_contact_id: string | null; cv_phone: string | null; cv_name: string | null; to_id: string | null; to_name: string | null;
    }>(
      // target is text: a user's id for user.*, a message's id for message.send, a conversation's
      // for conversation.*. The CASEs cast only those, so another action's target never reaches ::uuid.
      `SELECT a.id, a.at, a.action, a.target, a.details,
              actor.id AS actor_id, actor.name AS actor_name, actor.email AS actor_email,
              tu.id AS user_id, tu.name AS user_name, tu.email AS user_email,
              m.conversation_id, ${CONTACT_COLUMNS}, left(m.body, 200) AS body,
              cv.id AS cv_id, ck.id AS cv_contact_id, ck.phone AS cv_phone, ck.name AS cv_name, tou.id AS to_id, tou.name AS to_name
       FROM audit_log a
       LEFT JOIN users actor ON actor.id = a.actor_id
       LEFT JOIN users tu ON tu.id = CASE WHEN a.action LIKE 'user.%' THEN a.target::uuid END
       LEFT JOIN messages m ON m.id = CASE WHEN a.action = 'message.send' THEN a.target::uuid END
       LEFT JOIN conversations c ON c.id = m.conversation_id
       LEFT JOIN contacts k ON k.id = c.contact_id
       LEFT JOIN conversations cv ON cv.id = CASE WHEN a.action LIKE 'conversation.%' THEN a.target::uuid END
       LEFT JOIN contacts ck ON ck.id = cv.contact_id
       LEFT JOIN users tou ON tou.id = CASE WHEN a.action = 'conversation.assign' THEN (a.details->>'to')::uuid END
       WHERE $1::bigint IS NULL OR a.id < $1
       ORDER BY a.id DESC LIMIT $2`,
      [o.beforeId, o.limit],
    );
    return rows.map((r) => ({
      id: Number(r.id), at: new Date(r.at).toISOString(), action: r.action, target: r.target, details: r.details,
      actor: r.actor_id ? { id: r.actor_id, name: r.actor_name ?? '', email: r.actor_email ?? '' } : null,
      targetUser: r.user_id ? { id: r.user_id, name: r.user_name ?? '', email: r.user_email ?? '' } : null,
      targetMessage: r.conversation_id && r.contact_id
        ? { conversationId: r.conversation_id, contact: toContactDto({ ...r, contact_id: r.contact_id }), body: r.body }
        : null,
      targetConversation: r.cv_id && r.cv_contact_id ? { id: r.cv_id, contact: { id: r.cv_contact_id, phone: r.cv_phone ?? '', name: r.cv_name } } : null,
      assignedTo: r.to_id ? { id: r.to_id, name: r.to_name ?? '' } : null,
    }));
  },
};
