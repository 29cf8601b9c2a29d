import type { ConversationCountsDto, ConversationDto, ConversationStatus } from '../contract/api.ts';
import { CONTACT_COLUMNS, toContactDto, type ContactRow } from './contact-repository.ts';
import { ENSURE_CONVERSATIONS, WANTED_FROM_ARRAYS } from './ensure-conversations.ts';
import { toSenderDto } from './sender-repository.ts';
import { exactTimeText } from './exact-time.ts';
import { CONTACT_NAMES_SEARCH_TEXT, containsPattern } from './search-sql.ts';
import type { Queryable } from './database.ts';
import { iso, MESSAGE_COLUMNS, toMessageDto, type MessageRow } from './message-repository.ts';

/** WhatsApp's customer-service window: free text only this long after the customer's last message. */
export const WHATSAPP_WINDOW_MS = 24 * 3600_000;

interface ConversationRow extends ContactRow {
  id: string; last_message_at: Date | null; unread_count: number; seq: string | number;
  assignee_id: string | null; assignee_name: string | null; status: ConversationStatus;
  lm: MessageRow | null;
  sender_id: string; sender_address: string; sender_name: string; sender_colour: string | null;
}

/** The list's filters; `assignee`: a user's id, or null for nobody. */
export interface ConversationFilter {
  assignee?: { id: string | null };
  status?: ConversationStatus;
  unread?: boolean;
  /** One sender's conversations (its id). */
  senderId?: string;
}

/** SQL conditions for a filter, its values appended to `params`. `sender` narrows every chip alike. */
function filterConditions(f: ConversationFilter, params: unknown[]): { assignee: string[]; status: string[]; unread: string[]; sender: string[] } {
  const out = { assignee: [] as string[], status: [] as string[], unread: [] as string[], sender: [] as string[] };
  if (f.senderId) {
    params.push(f.senderId);
    out.sender.push(`c.sender_id = $${params.length}::uuid`);
  }
  if (f.assignee) {
    if (f.assignee.id === null) out.assignee.push('c.assignee_id IS NULL');
    else {
      params.push(f.assignee.id);
      out.assignee.push(`c.assignee_id = $${params.length}::uuid`);
    }
  }
  if (f.status) {
    params.push(f.status);
    out.status.push(`c.status = $${params.length}`);
  }
  if (f.unread) out.unread.push('c.unread_count > 0');
  return out;
}

/**
 * What the list's search box matches, case and accents ignored: the contact's names, their phone's
 * digits (3 or more), or the text of any of the conversation's messages. Written as EXISTS so the
 * planner, which knows from the statistics how common the words are, chooses: a rare word through
 * the messages' trigram index as one set; a word in most messages by a probe of each conversation,
 * newest first, that stops at the first match. Needs the contacts joined as `k`.
 */
function searchCondition(search: string, params: unknown[]): string {
  const pattern = containsPattern(search, params);
  params.push(search.replace(/[^\d]/g, ''));
  const digits = `$${params.length}`;
  return `(${CONTACT_NAMES_SEARCH_TEXT} LIKE ${pattern}
    OR (length(${digits}) >= 3 AND ltrim(k.phone, '+') LIKE '%' || ${digits} || '%')
    OR EXISTS (SELECT 1 FROM messages s WHERE s.conversation_id = c.id AND search_text(s.body) LIKE ${pattern}))`;
}

/** A conversation's assignee, status and unread count before and after an update. */
export interface ConversationChange {
  before: { assigneeId: string | null; status: ConversationStatus; unreadCount: number };
  after: { assigneeId: string | null; status: ConversationStatus; unreadCount: number };
}


function toConversationDto(r: ConversationRow): ConversationDto {
  const lastInbound = r.last_inbound_at ? new Date(r.last_inbound_at) : null;
  return {
    id: r.id,
    contact: toContactDto(r),
    sender: toSenderDto({ id: r.sender_id, address: r.sender_address, name: r.sender_name, colour: r.sender_colour }),
    lastMessage: r.lm ? toMessageDto(r.lm) : null,
    lastMessageAt: iso(r.last_message_at),
    unreadCount: r.unread_count,
    lastInboundAt: iso(lastInbound),
    windowExpiresAt: lastInbound ? new Date(lastInbound.getTime() + WHATSAPP_WINDOW_MS).toISOString() : null,
    assignee: r.assignee_id ? { id: r.assignee_id, name: r.assignee_name ?? '' } : null,
    status: r.status,
    seq: Number(r.seq),
  };
}

// The last message travels as a JSON object so one query returns the whole list item.
const CONVERSATION_SELECT = `
  SELECT c.id, ${CONTACT_COLUMNS}, c.last_message_at, c.unread_count, c.seq,
    c.assignee_id, (SELECT u.name FROM users u WHERE u.id = c.assignee_id) AS assignee_name, c.status,
    (SELECT to_jsonb(x) FROM (SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.id = c.last_message_id) x) AS lm,
    c.sender_id, s.address AS sender_address, s.name AS sender_name, s.colour AS sender_colour
  FROM conversations c JOIN contacts k ON k.id = c.contact_id JOIN senders s ON s.id = c.sender_id`;

export const conversationRepository = {
  /**
   * The conversation of this customer with this sender of ours (omitted: the oldest sender, the one
   * number of a single-number install), created with its contact if new. Upserts (not
   * look-up-then-insert), so two callbacks for a new customer at the same instant share one.
   */
  async ensureForPhone(q: Queryable, phone: string, senderAddress?: string | null): Promise<string> {
    const id = (await this.ensureForPhones(q, [{ phone, senderAddress: senderAddress ?? null }]))[0];
    if (!id) throw new Error('no WhatsApp sender is known yet: set TWILIO_WHATSAPP_FROM');
    return id;
  },

  /**
   * The conversation of each (customer, sender), created with its contact when new, in the order
   * given. One round trip: known ones are only read; new ones are upserted (not looked up then
   * inserted), so callbacks for the same new customer at the same instant still share one contact
   * and one conversation.
   */
  async ensureForPhones(q: Queryable, pairs: { phone: string; senderAddress: string | null }[]): Promise<(string | undefined)[]> {
    const { rows } = await q.query<{ phone: string; address: string; id: string }>(
      `WITH ${WANTED_FROM_ARRAYS('$1', '$2')},
       ${ENSURE_CONVERSATIONS}
       SELECT phone, address, id FROM ensured`,
      [pairs.map((p) => p.phone), pairs.map((p) => p.senderAddress)],
    );
    const byKey = new Map(rows.map((r) => [`${r.phone} ${r.address}`, r.id]));
    // A pair without a sender got the oldest one: it is the only address for that phone here unless given too.
    return pairs.map((p) => (p.senderAddress ? byKey.get(`${p.phone} ${p.senderAddress}`) : rows.find((r) => r.phone === p.phone)?.id));
  },

  /**
   * The conversation with this customer from this sender of ours, and its contact, created when
   * new (the same upserts as ensureForPhones). `created`: this statement made the conversation (of
   * two writers racing for the same new number, only one).
   */
  async ensureForNewChat(q: Queryable, phone: string, senderAddress: string | null): Promise<{ conversationId: string; contactId: string; created: boolean }> {
    const { rows } = await q.query<{ id: string; contact_id: string; created: boolean }>(
      `WITH ${WANTED_FROM_ARRAYS('ARRAY[$1::text]', 'ARRAY[$2::text]')},
       ${ENSURE_CONVERSATIONS}
       SELECT e.id, COALESCE(n.contact_id, old.contact_id) AS contact_id, COALESCE(n.inserted, false) AS created
       FROM ensured e LEFT JOIN conversation n ON n.id = e.id LEFT JOIN conversations old ON old.id = e.id`,
      [phone, senderAddress],
    );
    const r = rows[0];
    if (!r) throw new Error('no WhatsApp sender is known yet: set TWILIO_WHATSAPP_FROM');
    return { conversationId: r.id, contactId: r.contact_id, created: r.created };
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

  /**
   * Changes who has the conversation, its status and/or brings its unread badge back (at least 1),
   * in one statement; the seq moves only when something did change. Null: no such conversation.
   */
  async update(
    q: Queryable,
    id: string,
    p: { assigneeId?: string | null; status?: ConversationStatus; unread?: boolean },
  ): Promise<ConversationChange | null> {
    const { rows } = await q.query<{
      old_assignee: string | null; old_status: ConversationStatus; old_unread: number;
      assignee_id: string | null; status: ConversationStatus; unread_count: number;
    }>(
      `WITH old AS (SELECT id, assignee_id, status, unread_count FROM conversations WHERE id = $1 FOR UPDATE),
       next AS (
         SELECT old.id,
           CASE WHEN $2 THEN $3::uuid ELSE old.assignee_id END AS assignee_id,
           COALESCE($4, old.status) AS status,
           CASE WHEN $5 THEN GREATEST(old.unread_count, 1) ELSE old.unread_count END AS unread_count
         FROM old
       )
       UPDATE conversations c SET assignee_id = next.assignee_id, status = next.status, unread_count = next.unread_count,
         seq = CASE WHEN (c.assignee_id, c.status, c.unread_count) IS DISTINCT FROM (next.assignee_id, next.status, next.unread_count)
           THEN nextval('change_seq') ELSE c.seq END
       FROM old JOIN next ON next.id = old.id
       WHERE c.id = old.id
       RETURNING old.assignee_id AS old_assignee, old.status AS old_status, old.unread_count AS old_unread,
         c.assignee_id, c.status, c.unread_count`,
      [id, p.assigneeId !== undefined, p.assigneeId ?? null, p.status ?? null, p.unread === true],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      before: { assigneeId: r.old_assignee, status: r.old_status, unreadCount: r.old_unread },
      after: { assigneeId: r.assignee_id, status: r.status, unreadCount: r.unread_count },
    };
  },

  /** An agent's reply takes an unassigned conversation. True when it did (nobody had it). */
  async takeIfUnassigned(q: Queryable, id: string, userId: string): Promise<boolean> {
    const { rows } = await q.query(
      `UPDATE conversations SET assignee_id = $2, seq = nextval('change_seq') WHERE id = $1 AND assignee_id IS NULL RETURNING id`,
      [id, userId],
    );
    return rows.length > 0;
  },

  /** The numbers on the list's filter chips (see ConversationCountsDto). `me`: the signed-in user. */
  async counts(q: Queryable, me: string, f: ConversationFilter, search: string | null): Promise<ConversationCountsDto> {
    const params: unknown[] = [me];
    const c = filterConditions(f, params);
    // The search narrows every chip alike, as it narrows the list.
    const matching = search ? `AND ${searchCondition(search, params)}` : '';
    const all = (...conds: string[][]) => [...conds, c.sender].flat().join(' AND ') || 'true';
    const { rows } = await q.query<Record<keyof ConversationCountsDto, string>>(
      `SELECT
         count(*) FILTER (WHERE c.assignee_id = $1::uuid AND ${all(c.status, c.unread)}) AS mine,
         count(*) FILTER (WHERE c.assignee_id IS NULL AND ${all(c.status, c.unread)}) AS unassigned,
         count(*) FILTER (WHERE ${all(c.status, c.unread)}) AS "all",
         count(*) FILTER (WHERE c.status = 'open' AND ${all(c.assignee, c.unread)}) AS open,
         count(*) FILTER (WHERE c.status = 'resolved' AND ${all(c.assignee, c.unread)}) AS resolved,
         count(*) FILTER (WHERE c.unread_count > 0 AND ${all(c.assignee, c.status)}) AS unread
       FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE c.last_message_id IS NOT NULL ${matching}`,
      params,
    );
    const r = rows[0]!;
    return { mine: Number(r.mine), unassigned: Number(r.unassigned), all: Number(r.all), open: Number(r.open), resolved: Number(r.resolved), unread: Number(r.unread) };
  },

  async findDto(q: Queryable, id: string): Promise<ConversationDto | null> {
    return (await this.findManyDto(q, [id]))[0] ?? null;
  },

  async findManyDto(q: Queryable, ids: string[]): Promise<ConversationDto[]> {
    const { rows } = await q.query<ConversationRow>(`${CONVERSATION_SELECT} WHERE c.id = ANY($1::uuid[])`, [ids], { prepare: true });
    return rows.map(toConversationDto);
  },

  /** The customer's phone, when they last wrote, and which of our numbers the conversation is with. */
  async findContactPhone(q: Queryable, id: string): Promise<{ phone: string; lastInboundAt: Date | null; senderAddress: string } | null> {
    const { rows } = await q.query<{ phone: string; last_inbound_at: Date | null; address: string }>(
      `SELECT k.phone, c.last_inbound_at, s.address FROM conversations c JOIN contacts k ON k.id = c.contact_id
       JOIN senders s ON s.id = c.sender_id WHERE c.id = $1`,
      [id],
    );
    const r = rows[0];
    return r ? { phone: r.phone, lastInboundAt: r.last_inbound_at ? new Date(r.last_inbound_at) : null, senderAddress: r.address } : null;
  },

  /** Customers' phones with when each last wrote, for those who wrote after `since`. */
  async customersWhoWroteSince(q: Queryable, since: Date): Promise<{ phone: string; at: Date }[]> {
    const { rows } = await q.query<{ phone: string; last_inbound_at: Date }>(
      'SELECT k.phone, c.last_inbound_at FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE c.last_inbound_at > $1',
      [since],
    );
    return rows.map((r) => ({ phone: r.phone, at: new Date(r.last_inbound_at) }));
  },

  /**
   * Newest activity first; `after` is the last item of the previous page. `cursorAt`: the item's
   * last_message_at to the microsecond, for the next page's cursor.
   */
  async list(
    q: Queryable,
    o: { search: string | null; after: { at: string | null; id: string } | null; limit: number; filter?: ConversationFilter },
  ): Promise<{ item: ConversationDto; cursorAt: string | null }[]> {
    const params: unknown[] = [o.limit];
    const where: string[] = ['c.last_message_id IS NOT NULL'];
    if (o.search) where.push(searchCondition(o.search, params));
    if (o.filter) {
      const f = filterConditions(o.filter, params);
      where.push(...f.assignee, ...f.status, ...f.unread, ...f.sender);
    }
    if (o.after) {
      params.push(o.after.at, o.after.id);
      const a = params.length - 1;
      // Keyset pagination over (last_message_at DESC NULLS LAST, id DESC).
      where.push(`(($${a}::timestamptz IS NULL AND c.last_message_at IS NULL AND c.id < $${a + 1}::uuid)
        OR ($${a}::timestamptz IS NOT NULL AND (c.last_message_at IS NULL OR (c.last_message_at, c.id) < ($${a}::timestamptz, $${a + 1}::uuid))))`);
    }
    const { rows } = await q.query<ConversationRow & { cursor_at: string | null }>(
      `SELECT l.*, ${exactTimeText('l.last_message_at')} AS cursor_at FROM (${CONVERSATION_SELECT}
       WHERE ${where.join(' AND ')} ORDER BY c.last_message_at DESC NULLS LAST, c.id DESC LIMIT $1) l
       ORDER BY l.last_message_at DESC NULLS LAST, l.id DESC`,
      params,
    );
    return rows.map((r) => ({ item: toConversationDto(r), cursorAt: r.cursor_at }));
  },

  async changedSince(q: Queryable, seq: number, limit: number): Promise<ConversationDto[]> {
    const { rows } = await q.query<ConversationRow>(`${CONVERSATION_SELECT} WHERE c.seq > $1 ORDER BY c.seq LIMIT $2`, [seq, limit]);
    return rows.map(toConversationDto);
  },
};
