import type { CapturedVia, MessageDto, MessageSource, MessageStatus } from '../realtime/events.ts';
import type { Queryable } from './database.ts';

export interface StatusUpdate {
  status: MessageStatus;
  errorCode: number | null;
  errorMessage: string | null;
  at: Date;
}

// The columns of a message as the API returns it, with who sent it. Usable after SELECT and after
// RETURNING alike: every write hands back the row it committed, so no second read is needed.
export const MESSAGE_COLUMNS = `
  m.id, m.sid, m.conversation_id, m.direction, m.source, m.captured_via, m.status, m.body, m.body_pending,
  m.media, m.content_sid, m.content_variables, m.error_code, m.error_message, m.reply_to_sid,
  m.button_payload, m.location, m.created_at, m.sent_at, m.delivered_at, m.read_at, m.failed_at, m.seq,
  m.sent_by AS sent_by_id, (SELECT u.name FROM users u WHERE u.id = m.sent_by) AS sent_by_name`;
const MESSAGE_FROM = `messages m`;

export interface MessageRow {
  id: string; sid: string | null; conversation_id: string; direction: MessageDto['direction'];
  source: MessageSource; captured_via: CapturedVia; status: MessageStatus; body: string | null;
  body_pending: boolean; media: { url: string; contentType: string | null }[]; content_sid: string | null;
  content_variables: Record<string, string> | null; error_code: number | null; error_message: string | null;
  reply_to_sid: string | null; button_payload: string | null; location: MessageDto['location'];
  created_at: Date; sent_at: Date | null; delivered_at: Date | null; read_at: Date | null;
  failed_at: Date | null; seq: string | number; sent_by_id: string | null; sent_by_name: string | null;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export function toMessageDto(r: MessageRow): MessageDto {
  return {
    id: r.id,
    sid: r.sid,
    conversationId: r.conversation_id,
    direction: r.direction,
    source: r.source,
    capturedVia: r.captured_via,
    status: r.status,
    body: r.body,
    bodyPending: r.body_pending,
    // Twilio's media URLs need our credentials: the panel gets our proxy path instead.
    media: (r.media ?? []).map((m, i) => ({ url: `/api/media/${r.id}/${i}`, contentType: m.contentType })),
    contentSid: r.content_sid,
    contentVariables: r.content_variables,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    sentBy: r.sent_by_id ? { id: r.sent_by_id, name: r.sent_by_name ?? '' } : null,
    replyToSid: r.reply_to_sid,
    buttonPayload: r.button_payload,
    location: r.location,
    createdAt: iso(r.created_at)!,
    sentAt: iso(r.sent_at),
    deliveredAt: iso(r.delivered_at),
    readAt: iso(r.read_at),
    failedAt: iso(r.failed_at),
    seq: Number(r.seq),
  };
}

/*
 * How a status update changes a stored message, as SQL over the existing row `m` and the
 * parameters $1 status, $2 error code, $3 error message, $4 time. The status only moves forward
 * (wa_status_rank); each status's time is kept once reached; an error is never wiped by a callback
 * that lacks one. `changed` is true only when the update would change something, so a replayed or
 * stale callback writes nothing and raises no event.
 */
const ADVANCE_SET = `
  status = CASE WHEN wa_status_rank($1) > wa_status_rank(m.status) THEN $1 ELSE m.status END,
  error_code = COALESCE(m.error_code, $2::integer),
  error_message = COALESCE(m.error_message, $3::text),
  sent_at = COALESCE(m.sent_at, CASE WHEN $1 = 'sent' THEN $4::timestamptz END),
  delivered_at = COALESCE(m.delivered_at, CASE WHEN $1 = 'delivered' THEN $4::timestamptz END),
  read_at = COALESCE(m.read_at, CASE WHEN $1 = 'read' THEN $4::timestamptz END),
  failed_at = COALESCE(m.failed_at, CASE WHEN $1 IN ('failed', 'undelivered') THEN $4::timestamptz END),
  seq = nextval('change_seq')`;
const ADVANCE_CHANGES = `(
  wa_status_rank($1) > wa_status_rank(m.status)
  OR (m.error_code IS NULL AND $2::integer IS NOT NULL)
  OR (m.error_message IS NULL AND $3::text IS NOT NULL)
  OR ($1 = 'sent' AND m.sent_at IS NULL)
  OR ($1 = 'delivered' AND m.delivered_at IS NULL)
  OR ($1 = 'read' AND m.read_at IS NULL)
  OR ($1 IN ('failed', 'undelivered') AND m.failed_at IS NULL))`;
const advanceParams = (u: StatusUpdate) => [u.status, u.errorCode, u.errorMessage, u.at];

export interface NewCapturedMessage {
  sid: string;
  conversationId: string;
  source: MessageSource;
  direction: MessageDto['direction'];
  capturedVia: CapturedVia;
  body: string | null;
  bodyPending: boolean;
  media: { url: string; contentType: string | null }[];
  businessAddress: string | null;
  messagingServiceSid: string | null;
  createdAt: Date;
  replyToSid?: string | null;
  buttonPayload?: string | null;
  location?: MessageDto['location'];
}

const dtoOrNull = (rows: MessageRow[]) => (rows[0] ? toMessageDto(rows[0]) : null);

export const messageRepository = {
  async findDto(q: Queryable, id: string): Promise<MessageDto | null> {
    const { rows } = await q.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.id = $1`, [id]);
    return dtoOrNull(rows);
  },

  async findRaw(q: Queryable, id: string) {
    const { rows } = await q.query<{ id: string; sid: string | null; media: { url: string; contentType: string | null }[]; content_sid: string | null; content_variables: Record<string, string> | null; conversation_id: string }>(
      'SELECT id, sid, media, content_sid, content_variables, conversation_id FROM messages WHERE id = $1',
      [id],
    );
    return rows[0] ?? null;
  },

  /** Advances the message with this SID; the message as committed when something changed, else null. */
  async advanceBySid(q: Queryable, sid: string, u: StatusUpdate): Promise<MessageDto | null> {
    const { rows } = await q.query<MessageRow>(
      `UPDATE messages AS m SET ${ADVANCE_SET} WHERE m.sid = $5 AND ${ADVANCE_CHANGES} RETURNING ${MESSAGE_COLUMNS}`,
      [...advanceParams(u), sid],
    );
    return dtoOrNull(rows);
  },

  /**
   * Advances a panel message named by our own id (`?mid=` in the callback URL), attaching the SID
   * if Twilio's answer to the send has not arrived yet. Matches whenever the row still lacks its
   * SID, so the SID is never left for a second row to claim.
   */
  async advanceByMessageId(q: Queryable, id: string, sid: string, u: StatusUpdate): Promise<MessageDto | null> {
    const { rows } = await q.query<MessageRow>(
      `UPDATE messages AS m SET sid = $6, ${ADVANCE_SET}
       WHERE m.id = $5 AND m.direction = 'outbound' AND (m.sid IS NULL OR m.sid = $6)
         AND (m.sid IS NULL OR ${ADVANCE_CHANGES}) RETURNING ${MESSAGE_COLUMNS}`,
      [...advanceParams(u), id, sid],
    );
    return dtoOrNull(rows);
  },

  /**
   * Records a message first seen through a callback, the inbound webhook or Twilio's list; if the
   * SID is already stored (a concurrent callback won), advances it instead. One statement, so
   * concurrent deliveries of one SID can never make two rows. A new message also queues the fetch
   * of its text when unknown, and becomes its conversation's latest activity, in the same statement.
   */
  async insertOrAdvance(
    q: Queryable,
    m: NewCapturedMessage,
    u: StatusUpdate,
    activity: { unread: boolean; inbound: boolean; raise: boolean; fetchJob: string | null },
  ): Promise<{ message: MessageDto; inserted: boolean } | null> {
    const { rows } = await q.query<MessageRow & { inserted: boolean }>(
      `WITH saved AS (
         INSERT INTO messages AS m (sid, conversation_id, direction, source, captured_via, status, body, body_pending,
           media, business_address, messaging_service_sid, created_at, reply_to_sid, button_payload, location,
           error_code, error_message, sent_at, delivered_at, read_at, failed_at)
         VALUES ($5, $6, $7, $8, $9, $1, $10, $11, $12, $13, $14, $15, $16, $17, $18, $2, $3,
           CASE WHEN $1 = 'sent' THEN $4::timestamptz END, CASE WHEN $1 = 'delivered' THEN $4::timestamptz END,
           CASE WHEN $1 = 'read' THEN $4::timestamptz END, CASE WHEN $1 IN ('failed', 'undelivered') THEN $4::timestamptz END)
         ON CONFLICT (sid) DO UPDATE SET ${ADVANCE_SET} WHERE ${ADVANCE_CHANGES}
         RETURNING ${MESSAGE_COLUMNS}, (xmax = 0) AS inserted
       ),
       job AS (
         INSERT INTO jobs (kind, message_id) SELECT $19::text, id FROM saved WHERE inserted AND $19::text IS NOT NULL
         ON CONFLICT (kind, message_id) DO NOTHING
       ),
       activity AS (
         UPDATE conversations c SET
           last_message_id = CASE WHEN ($22::boolean AND (c.last_message_at IS NULL OR c.last_message_at <= saved.created_at)) OR c.last_message_id IS NULL
             THEN saved.id ELSE c.last_message_id END,
           last_message_at = CASE WHEN $22::boolean THEN GREATEST(c.last_message_at, saved.created_at) ELSE c.last_message_at END,
           unread_count = c.unread_count + CASE WHEN $20::boolean THEN 1 ELSE 0 END,
           last_inbound_at = CASE WHEN $21::boolean THEN GREATEST(c.last_inbound_at, saved.created_at) ELSE c.last_inbound_at END,
           seq = nextval('change_seq')
         FROM saved WHERE saved.inserted AND c.id = saved.conversation_id
       )
       SELECT * FROM saved`,
      [
        ...advanceParams(u), m.sid, m.conversationId, m.direction, m.source, m.capturedVia, m.body, m.bodyPending,
        JSON.stringify(m.media), m.businessAddress, m.messagingServiceSid, m.createdAt, m.replyToSid ?? null,
        m.buttonPayload ?? null, m.location ? JSON.stringify(m.location) : null,
        activity.fetchJob, activity.unread, activity.inbound, activity.raise,
      ],
    );
    return rows[0] ? { message: toMessageDto(rows[0]), inserted: rows[0].inserted } : null;
  },

  /**
   * A panel send, written (with its conversation's activity) before Twilio is called, so a
   * callback that wins the race finds it.
   */
  async insertPanelMessage(
    q: Queryable,
    m: { conversationId: string; body: string | null; contentSid: string | null; contentVariables: Record<string, string> | null; sentBy: string; businessAddress: string | null; messagingServiceSid: string | null },
  ): Promise<MessageDto> {
    const { rows } = await q.query<MessageRow>(
      `WITH saved AS (
         INSERT INTO messages AS m (conversation_id, direction, source, captured_via, status, body, content_sid, content_variables,
           sent_by, business_address, messaging_service_sid)
         VALUES ($1, 'outbound', 'panel', 'send', 'queued', $2, $3, $4, $5, $6, $7) RETURNING ${MESSAGE_COLUMNS}
       ),
       activity AS (
         UPDATE conversations c SET last_message_id = saved.id, last_message_at = saved.created_at, seq = nextval('change_seq')
         FROM saved WHERE c.id = saved.conversation_id
       )
       SELECT * FROM saved`,
      [m.conversationId, m.body, m.contentSid, m.contentVariables ? JSON.stringify(m.contentVariables) : null, m.sentBy, m.businessAddress, m.messagingServiceSid],
    );
    return toMessageDto(rows[0]!);
  },

  /** Twilio accepted a panel send: attach its SID; the status only moves forward (a callback may have come first). */
  async attachSid(q: Queryable, id: string, sid: string, u: StatusUpdate, body: string | null): Promise<MessageDto | null> {
    const { rows } = await q.query<MessageRow>(
      `UPDATE messages AS m SET sid = $6, body = COALESCE(m.body, NULLIF($7, '')), ${ADVANCE_SET} WHERE m.id = $5 RETURNING ${MESSAGE_COLUMNS}`,
      [...advanceParams(u), id, sid, body],
    );
    return dtoOrNull(rows);
  },

  /** Twilio refused a panel send outright (no SID): the bubble shows the error. */
  async markRejected(q: Queryable, id: string, errorCode: number | null, errorMessage: string): Promise<MessageDto | null> {
    const { rows } = await q.query<MessageRow>(
      `UPDATE messages AS m SET status = 'failed', error_code = $2, error_message = $3, failed_at = now(), seq = nextval('change_seq')
       WHERE m.id = $1 RETURNING ${MESSAGE_COLUMNS}`,
      [id, errorCode, errorMessage],
    );
    return dtoOrNull(rows);
  },

  /**
   * Fills in what Twilio's REST API says of a captured message (its text is not in callbacks) and
   * completes the job that asked for it, in one statement.
   */
  async applyFetchedContent(
    q: Queryable,
    id: string,
    jobId: string,
    c: { body: string | null; createdAt: Date | null; u: StatusUpdate | null },
  ): Promise<MessageDto | null> {
    const u = c.u ?? { status: 'accepted' as MessageStatus, errorCode: null, errorMessage: null, at: new Date() };
    const { rows } = await q.query<MessageRow>(
      `WITH done AS (DELETE FROM jobs WHERE id = $8)
       UPDATE messages AS m SET body = COALESCE($6, m.body), body_pending = false, created_at = COALESCE($7, m.created_at), ${ADVANCE_SET}
       WHERE m.id = $5 RETURNING ${MESSAGE_COLUMNS}`,
      [...advanceParams(u), id, c.body, c.createdAt, jobId],
    );
    return dtoOrNull(rows);
  },

  async listForConversation(q: Queryable, conversationId: string, before: { createdAt: string; id: string } | null, limit: number): Promise<MessageDto[]> {
    const { rows } = await q.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
       WHERE m.conversation_id = $1 AND ($2::timestamptz IS NULL OR (m.created_at, m.id) < ($2::timestamptz, $3::uuid))
       ORDER BY m.created_at DESC, m.id DESC LIMIT $4`,
      [conversationId, before?.createdAt ?? null, before?.id ?? null, limit],
    );
    return rows.map(toMessageDto);
  },

  async changedSince(q: Queryable, seq: number, limit: number): Promise<MessageDto[]> {
    const { rows } = await q.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.seq > $1 ORDER BY m.seq LIMIT $2`,
      [seq, limit],
    );
    return rows.map(toMessageDto);
  },
};
