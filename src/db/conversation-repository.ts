import type { ConversationDto } from '../contract/api.ts';
import { CONTACT_COLUMNS, toContactDto, type ContactRow } from './contact-repository.ts';
import { ENSURE_CONVERSATIONS } from './ensure-conversations.ts';
import type { Queryable } from './database.ts';
import { iso, MESSAGE_COLUMNS, toMessageDto, type MessageRow } from './message-repository.ts';

/** WhatsApp's customer-service window: free text only this long after the customer's last message. */
export const WHATSAPP_WINDOW_MS = 24 * 3600_000;

interface ConversationRow extends ContactRow {
  id: string; last_message_at: Date | null; unread_count: number; seq: string | number;
  lm: MessageRow | null;
}


function toConversationDto(r: ConversationRow): ConversationDto {
  const lastInbound = r.last_inbound_at ? new Date(r.last_inbound_at) : null;
  return {
    id: r.id,
    contact: toContactDto(r),
    lastMessage: r.lm ? toMessageDto(r.lm) : null,
    lastMessageAt: iso(r.last_message_at),
    unreadCount: r.unread_count,
    lastInboundAt: iso(lastInbound),
    windowExpiresAt: lastInbound ? new Date(lastInbound.getTime() + WHATSAPP_WINDOW_MS).toISOString() : null,
    seq: Number(r.seq),
  };
}

// The last message travels as a JSON object so one query returns the whole list item.
const CONVERSATION_SELECT = `
  SELECT c.id, ${CONTACT_COLUMNS}, c.last_message_at, c.unread_count, c.seq,
    (SELECT to_jsonb(x) FROM (SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.id = c.last_message_id) x) AS lm
  FROM conversations c JOIN contacts k ON k.id = c.contact_id`;

export const conversationRepository = {
  /**
   * The conversation with this customer, created with its contact if new. Upserts (not
   * look-up-then-insert), so two callbacks for a new customer at the same instant share one.
   */
  async ensureForPhone(q: Queryable, phone: string): Promise<string> {
    return (await this.ensureForPhones(q, [phone])).get(phone)!;
  },

  /**
   * The conversation of each customer, created with its contact when new. One round trip: known
   * customers are only read; new ones are upserted (not looked up then inserted), so callbacks for
   * the same new customer at the same instant still share one contact and one conversation.
   */
  async ensureForPhones(q: Queryable, phones: string[]): Promise<Map<string, string>> {
    const { rows } = await q.query<{ phone: string; id: string }>(
      `WITH wanted AS (SELECT DISTINCT unnest($1::text[]) AS phone),
       ${ENSURE_CONVERSATIONS}
       SELECT phone, id FROM ensured`,
      [phones],
    );
    return new Map(rows.map((r) => [r.phone, r.id]));
  },

  /**
   * WhatsApp's ProfileName is kept as the contact's profile name, and names the contact unless a
   * person renamed it (then their name stays, whatever the profile later says).
   */
  async updateProfileName(q: Queryable, conversationId: string, profileName: string, waId: string | null): Promise<void> {
    await q.query(
      `UPDATE contacts k SET profile_name = $2, name = CASE WHEN k.name_source = 'user' THEN k.name ELSE $2 END,
         name_source = CASE WHEN k.name_source = 'user' THEN 'user' ELSE 'profile' END, wa_id = COALESCE($3, k.wa_id)
       FROM conversations c WHERE c.id = $1 AND k.id = c.contact_id
         AND (k.profile_name IS DISTINCT FROM $2 OR (k.name IS DISTINCT FROM $2 AND k.name_source <> 'user') OR k.wa_id IS DISTINCT FROM COALESCE($3, k.wa_id))`,
      [conversationId, profileName, waId],
    );
  },

  async markRead(q: Queryable, conversationId: string): Promise<boolean> {
    const { rows } = await q.query(
      `UPDATE conversations SET unread_count = 0, seq = CASE WHEN unread_count = 0 THEN seq ELSE nextval('change_seq') END
       WHERE id = $1 RETURNING id`,
      [conversationId],
    );
    return rows.length > 0;
  },

  async findDto(q: Queryable, id: string): Promise<ConversationDto | null> {
    return (await this.findManyDto(q, [id]))[0] ?? null;
  },

  async findManyDto(q: Queryable, ids: string[]): Promise<ConversationDto[]> {
    const { rows } = await q.query<ConversationRow>(`${CONVERSATION_SELECT} WHERE c.id = ANY($1::uuid[])`, [ids], { prepare: true });
    return rows.map(toConversationDto);
  },

  async findContactPhone(q: Queryable, id: string): Promise<{ phone: string; lastInboundAt: Date | null } | null> {
    const { rows } = await q.query<{ phone: string; last_inbound_at: Date | null }>(
      'SELECT k.phone, c.last_inbound_at FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE c.id = $1',
      [id],
    );
    return rows[0] ? { phone: rows[0].phone, lastInboundAt: rows[0].last_inbound_at ? new Date(rows[0].last_inbound_at) : null } : null;
  },

  /** Customers' phones with when each last wrote, for those who wrote after `since`. */
  async customersWhoWroteSince(q: Queryable, since: Date): Promise<{ phone: string; at: Date }[]> {
    const { rows } = await q.query<{ phone: string; last_inbound_at: Date }>(
      'SELECT k.phone, c.last_inbound_at FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE c.last_inbound_at > $1',
      [since],
    );
    return rows.map((r) => ({ phone: r.phone, at: new Date(r.last_inbound_at) }));
  },

  /** Newest activity first; `after` is the last item of the previous page. */
  async list(q: Queryable, o: { search: string | null; after: { at: string | null; id: string } | null; limit: number }): Promise<ConversationDto[]> {
    const params: unknown[] = [o.limit];
    const where: string[] = ['c.last_message_id IS NOT NULL'];
    if (o.search) {
      params.push(`%${o.search.replace(/[\\%_]/g, (ch) => '\\' + ch)}%`, o.search.replace(/[^\d]/g, ''));
      where.push(`(k.name ILIKE $2 OR (length($3) >= 3 AND k.phone LIKE '%' || $3 || '%')
        OR EXISTS (SELECT 1 FROM messages s WHERE s.conversation_id = c.id AND s.body ILIKE $2))`);
    }
    if (o.after) {
      params.push(o.after.at, o.after.id);
      const a = params.length - 1;
      // Keyset pagination over (last_message_at DESC NULLS LAST, id DESC).
      where.push(`(($${a}::timestamptz IS NULL AND c.last_message_at IS NULL AND c.id < $${a + 1}::uuid)
        OR ($${a}::timestamptz IS NOT NULL AND (c.last_message_at IS NULL OR (c.last_message_at, c.id) < ($${a}::timestamptz, $${a + 1}::uuid))))`);
    }
    const { rows } = await q.query<ConversationRow>(
      `${CONVERSATION_SELECT} WHERE ${where.join(' AND ')} ORDER BY c.last_message_at DESC NULLS LAST, c.id DESC LIMIT $1`,
      params,
    );
    return rows.map(toConversationDto);
  },

  async changedSince(q: Queryable, seq: number, limit: number): Promise<ConversationDto[]> {
    const { rows } = await q.query<ConversationRow>(`${CONVERSATION_SELECT} WHERE c.seq > $1 ORDER BY c.seq LIMIT $2`, [seq, limit]);
    return rows.map(toConversationDto);
  },
};
