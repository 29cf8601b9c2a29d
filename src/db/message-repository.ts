import type { CapturedVia, MessageDto, MessageSource, MessageStatus } from '../contract/api.ts';
import { ensureConversationsOrLeave } from './ensure-conversations.ts';
import type { Queryable } from './database.ts';
import { exactTimeText } from './exact-time.ts';
import { containsPattern } from './search-sql.ts';

export interface StatusUpdate {
  status: MessageStatus;
  errorCode: number | null;
  errorMessage: string | null;
  /** When `status` was reached. */
  at: Date;
  /** Earlier statuses of the same message applied in the same write (several callbacks merged), with their times. */
  alsoReached?: { status: MessageStatus; at: Date }[];
}

type TimeColumn = 'sent_at' | 'delivered_at' | 'read_at' | 'failed_at';
const TIME_COLUMN_OF: Partial<Record<MessageStatus, TimeColumn>> = { sent: 'sent_at', delivered: 'delivered_at', read: 'read_at', failed: 'failed_at', undelivered: 'failed_at' };

/** The time each status reached goes into its own column (the earliest report of it): the one rule for every write. */
export function statusTimes(u: StatusUpdate): Record<TimeColumn, Date | null> {
  const times: Record<TimeColumn, Date | null> = { sent_at: null, delivered_at: null, read_at: null, failed_at: null };
  for (const r of [u, ...(u.alsoReached ?? [])]) {
    const column = TIME_COLUMN_OF[r.status];
    if (column && (!times[column] || r.at < times[column]!)) times[column] = r.at;
  }
  return times;
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
  body_pending: boolean; media: StoredMedia[]; content_sid: string | null;
  content_variables: Record<string, string> | null; error_code: number | null; error_message: string | null;
  reply_to_sid: string | null; button_payload: string | null; location: MessageDto['location'];
  created_at: Date; sent_at: Date | null; delivered_at: Date | null; read_at: Date | null;
  failed_at: Date | null; seq: string | number; sent_by_id: string | null; sent_by_name: string | null;
}

/**
 * A media item as the messages.media column holds it: a customer's (Twilio's URL), or one sent
 * from the panel (`stored`: its bytes are in outgoing_media, with its name and size; `removed`:
 * they were removed long after its link expired, and only the name and size remain).
 */
export interface StoredMedia {
  url: string | null;
  contentType: string | null;
  stored?: boolean;
  removed?: boolean;
  filename?: string | null;
  size?: number | null;
}

export const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export function toMessageDto(r: MessageRow): MessageDto {
  return {
    kind: 'message',
    id: r.id,
    sid: r.sid,
    conversationId: r.conversation_id,
    direction: r.direction,
    source: r.source,
    capturedVia: r.captured_via,
    status: r.status,
    body: r.body,
    bodyPending: r.body_pending,
    // Twilio's media URLs need our credentials, and our own files a session: the panel gets our
    // proxy path instead (null: unavailable).
    media: (r.media ?? []).map((m, i) => ({
      url: m.url || (m.stored && !m.removed) ? `/api/media/${r.id}/${i}` : null,
      contentType: m.contentType,
      ...(m.stored ? { filename: m.filename ?? null, size: m.size ?? null } : {}),
    })),
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
 * How a status update changes a stored message `m`, as SQL over a source of the new values. The
 * status only moves forward (wa_status_rank); each status's time is kept once reached; an error is
 * never wiped by a callback that lacks one. The `changes` condition is true only when something
 * would change, so a replayed or stale callback writes nothing and raises no event. The source is
 * either the statement's parameters or a row (a batch's `v`, or an upsert's EXCLUDED).
 */
interface StatusSource { status: string; errorCode: string; errorMessage: string; sentAt: string; deliveredAt: string; readAt: string; failedAt: string }

const advanceSet = (v: StatusSource, storedErrorMessage = 'm.error_message') => `
  status = CASE WHEN wa_status_rank(${v.status}) > wa_status_rank(m.status) THEN ${v.status} ELSE m.status END,
  error_code = COALESCE(m.error_code, ${v.errorCode}),
  error_message = COALESCE(${storedErrorMessage}, ${v.errorMessage}),
  sent_at = COALESCE(m.sent_at, ${v.sentAt}),
  delivered_at = COALESCE(m.delivered_at, ${v.deliveredAt}),
  read_at = COALESCE(m.read_at, ${v.readAt}),
  failed_at = COALESCE(m.failed_at, ${v.failedAt}),
  seq = nextval('change_seq')`;
const advanceChanges = (v: StatusSource) => `(
  wa_status_rank(${v.status}) > wa_status_rank(m.status)
  OR (m.error_code IS NULL AND ${v.errorCode} IS NOT NULL)
  OR (m.error_message IS NULL AND ${v.errorMessage} IS NOT NULL)
  OR (m.sent_at IS NULL AND ${v.sentAt} IS NOT NULL)
  OR (m.delivered_at IS NULL AND ${v.deliveredAt} IS NOT NULL)
  OR (m.read_at IS NULL AND ${v.readAt} IS NOT NULL)
  OR (m.failed_at IS NULL AND ${v.failedAt} IS NOT NULL))`;

// $1 status, $2 error code, $3 error message, $4..$7 the sent/delivered/read/failed times.
const FROM_PARAMS: StatusSource = {
  status: '$1::text', errorCode: '$2::integer', errorMessage: '$3::text',
  sentAt: '$4::timestamptz', deliveredAt: '$5::timestamptz', readAt: '$6::timestamptz', failedAt: '$7::timestamptz',
};
const fromRow = (alias: string): StatusSource => ({
  status: `${alias}.status`, errorCode: `${alias}.error_code`, errorMessage: `${alias}.error_message`,
  sentAt: `${alias}.sent_at`, deliveredAt: `${alias}.delivered_at`, readAt: `${alias}.read_at`, failedAt: `${alias}.failed_at`,
});
const ADVANCE_SET = advanceSet(FROM_PARAMS);
// A panel send whose answer never came waits, without a SID, with a note in error_message (see
// noteUnconfirmedSend); the SID arriving is Twilio's confirmation, so the note goes.
const ADVANCE_SET_CONFIRMING = advanceSet(FROM_PARAMS, `CASE WHEN m.sid IS NULL AND m.error_code IS NULL AND wa_status_rank(m.status) < 9 THEN NULL ELSE m.error_message END`);
const ADVANCE_CHANGES = advanceChanges(FROM_PARAMS);
const advanceParams = (u: StatusUpdate) => {
  const t = statusTimes(u);
  return [u.status, u.errorCode, u.errorMessage, t.sent_at, t.delivered_at, t.read_at, t.failed_at];
};
/** A batch's status updates as parameter arrays, in FROM_PARAMS order (unnest them as `status, error_code, error_message, sent_at, delivered_at, read_at, failed_at`). */
const advanceColumns = (updates: StatusUpdate[]) => {
  const times = updates.map(statusTimes);
  return [
    updates.map((u) => u.status), updates.map((u) => u.errorCode), updates.map((u) => u.errorMessage),
    times.map((t) => t.sent_at), times.map((t) => t.delivered_at), times.map((t) => t.read_at), times.map((t) => t.failed_at),
  ];
};
const ADVANCE_COLUMN_TYPES = ['text', 'integer', 'text', 'timestamptz', 'timestamptz', 'timestamptz', 'timestamptz'];
const ADVANCE_COLUMN_NAMES = 'status, error_code, error_message, sent_at, delivered_at, read_at, failed_at';
/** The unnest arguments for advanceColumns' arrays, numbered from parameter `$first`. */
const advanceUnnestArgs = (first: number) => ADVANCE_COLUMN_TYPES.map((t, k) => `$${first + k}::${t}[]`).join(', ');

export interface NewCapturedMessage {
  sid: string;
  conversationId: string;
  source: MessageSource;
  direction: MessageDto['direction'];
  capturedVia: CapturedVia;
  body: string | null;
  bodyPending: boolean;
  media: { url: string | null; contentType: string | null }[];
  businessAddress: string | null;
  messagingServiceSid: string | null;
  createdAt: Date;
  replyToSid?: string | null;
  buttonPayload?: string | null;
  location?: MessageDto['location'];
}

// The re-check queue (migration 015's partial index, whose predicate these words repeat so the
// planner can use it), and the statuses that can still advance.
const IN_RECHECK_QUEUE = `direction = 'outbound' AND sid IS NOT NULL AND (status_checked_at IS NULL OR status_checked_at < 'infinity')`;
const RECHECKABLE = `status IN ('accepted', 'scheduled', 'queued', 'sending', 'sent', 'delivered')`;

/**
 * Statements that write several messages lock them first, in id order. Unordered, a callback
 * batch (by SID) and the text fetcher's batch (by id) locked shared rows in opposite orders and
 * deadlocked: PostgreSQL noticed only after deadlock_timeout (1 s), so every callback waiting on
 * the batch stalled a second (seen every few seconds in a campaign).
 */
const LOCK_IN_ID_ORDER = (where: string) => `SELECT m.id, m.sid FROM messages m WHERE ${where} ORDER BY m.id FOR UPDATE`;
const dtoOrNull = (rows: MessageRow[]) => (rows[0] ? toMessageDto(rows[0]) : null);

/**
 * CTEs that make new messages their conversations' latest activity. `source` selects the new
 * messages: (conversation_id, id, created_at, raise, unread, inbound). The conversations are locked
 * in id order first, so writers touching the same ones (two instances, a batch and the inbound
 * webhook) wait for each other in one order and never deadlock.
 */
const touchConversations = (source: string) => `
  activity AS (
    -- One row per conversation: several new messages of one conversation in a batch.
    SELECT s.conversation_id,
      (array_agg(s.id ORDER BY s.created_at DESC) FILTER (WHERE s.raise))[1] AS raised_id,
      max(s.created_at) FILTER (WHERE s.raise) AS raised_at,
      (array_agg(s.id ORDER BY s.created_at DESC))[1] AS any_id,
      count(*) FILTER (WHERE s.unread) AS unread,
      max(s.created_at) FILTER (WHERE s.inbound) AS inbound_at
    FROM (${source}) s GROUP BY s.conversation_id
  ),
  touch_order AS (SELECT c.id FROM conversations c WHERE c.id IN (SELECT conversation_id FROM activity) ORDER BY c.id FOR NO KEY UPDATE),
  touched AS (
    UPDATE conversations c SET
      last_message_id = CASE
        WHEN a.raised_id IS NOT NULL AND (c.last_message_at IS NULL OR c.last_message_at <= a.raised_at) THEN a.raised_id
        WHEN c.last_message_id IS NULL THEN a.any_id
        ELSE c.last_message_id END,
      last_message_at = GREATEST(c.last_message_at, a.raised_at),
      unread_count = c.unread_count + a.unread,
      last_inbound_at = GREATEST(c.last_inbound_at, a.inbound_at),
      -- A customer who writes again reopens a resolved conversation (its assignee kept); an
      -- older message brought in late (reconcile, backfill) does not.
      status = CASE WHEN a.inbound_at > c.last_inbound_at OR (a.inbound_at IS NOT NULL AND c.last_inbound_at IS NULL)
        THEN 'open' ELSE c.status END,
      seq = nextval('change_seq')
    FROM touch_order l JOIN activity a ON a.conversation_id = l.id WHERE c.id = l.id
  )`;

export interface NewCapturedItem extends NewCapturedMessage {
  u: StatusUpdate;
  activity: { unread: boolean; inbound: boolean; raise: boolean; fetchJob: string | null };
}

/** A merged status report as recordStatusBatch writes it: the advance, and the row should its SID be new. */
export interface NewStatusItem {
  sid: string;
  u: StatusUpdate;
  /** The customer's phone and our sender's address: the conversation of a new SID. */
  phone: string;
  senderAddress: string;
  /** Our own id (`?mid=`): a new SID with one is a panel send, never recorded as from outside. */
  messageId: string | null;
  businessAddress: string | null;
  messagingServiceSid: string | null;
  body: string | null;
  bodyPending: boolean;
  createdAt: Date;
  /** The job queued for a new message (its text, its media), if any. */
  fetchJob: string | null;
}

export const messageRepository = {
  async findRaw(q: Queryable, id: string) {
    const { rows } = await q.query<{ id: string; sid: string | null; media: { url: string | null; contentType: string | null }[]; content_sid: string | null; content_variables: Record<string, string> | null; conversation_id: string }>(
      'SELECT id, sid, media, content_sid, content_variables, conversation_id FROM messages WHERE id = $1',
      [id],
    );
    return rows[0] ?? null;
  },

  /**
   * Advances a panel message named by our own id (`?mid=` in the callback URL), attaching the SID
   * if Twilio's answer to the send has not arrived yet. Matches whenever the row still lacks its
   * SID, so the SID is never left for a second row to claim.
   */
  async advanceByMessageId(q: Queryable, id: string, sid: string, u: StatusUpdate): Promise<MessageDto | null> {
    const { rows } = await q.query<MessageRow>(
      `UPDATE messages AS m SET sid = $9, ${ADVANCE_SET_CONFIRMING}
       WHERE m.id = $8 AND m.direction = 'outbound' AND (m.sid IS NULL OR m.sid = $9)
         AND (m.sid IS NULL OR ${ADVANCE_CHANGES}) RETURNING ${MESSAGE_COLUMNS}`,
      [...advanceParams(u), id, sid],
      { prepare: true },
    );
    return dtoOrNull(rows);
  },

  /**
   * A batch of status reports in one statement, so one round trip and one commit: stored messages
   * advance (locked in id order), and new SIDs are recorded as sent from outside (in SID order), in
   * their conversations, created with their contacts when new, with the fetch of their text queued
   * and their conversations' activity. Its locks come in phases, each in a fixed order (stored
   * messages by id, new contacts by phone and conversations by key, new messages by SID,
   * conversations touched by id), and none is held from one statement to the next: the former two
   * statements in a transaction held the stored messages' locks while the insert waited on another
   * instance's batch, and PostgreSQL broke that cycle only after deadlock_timeout (1 s). Each SID
   * at most once.
   *
   * Left to the caller: `unclaimed`, the new SIDs of panel sends (`messageId` set) whose callback
   * beat Twilio's answer, to be matched to our row by id; and `leftOut`, new SIDs another writer
   * stored after the statement began, or of a customer whose contact or conversation another writer
   * was creating at the same instant (see ensureConversationsOrLeave), to be written again: the
   * next statement sees that writer's rows. So no lock is waited for while others are held, but in
   * the one order of each phase.
   */
  async recordStatusBatch(
    q: Queryable,
    items: NewStatusItem[],
    o: { via: CapturedVia; raise: boolean },
  ): Promise<{ changed: MessageDto[]; created: MessageDto[]; unclaimed: Set<string>; leftOut: Set<string> }> {
    const col = <T>(f: (i: NewStatusItem) => T) => items.map(f);
    const { rows } = await q.query<{ changed: MessageRow[]; saved: MessageRow[]; unclaimed: string[]; left_out: string[] }>(
      `WITH v AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::boolean[],
           $9::timestamptz[], $10::text[], ${advanceUnnestArgs(11)})
         AS i(sid, phone, address, message_id, business_address, messaging_service_sid, body, body_pending, created_at, fetch_job,
           ${ADVANCE_COLUMN_NAMES})
       ),
       locked AS (${LOCK_IN_ID_ORDER('m.sid IN (SELECT sid FROM v)')}),
       changed AS (
         UPDATE messages AS m SET ${advanceSet(fromRow('v'))} FROM v JOIN locked l ON l.sid = v.sid
         WHERE m.id = l.id AND ${advanceChanges(fromRow('v'))}
         RETURNING ${MESSAGE_COLUMNS}
       ),
       -- New SIDs, each with its id now: a conversation created for it can name it as its latest.
       fresh AS MATERIALIZED (
         SELECT gen_random_uuid() AS id, v.* FROM v WHERE v.message_id IS NULL AND v.sid NOT IN (SELECT sid FROM locked)
       ),
       wanted AS (SELECT DISTINCT phone, address FROM fresh),
       opening AS (
         SELECT phone, address, (array_agg(id ORDER BY created_at DESC))[1] AS last_message_id,
           CASE WHEN $18::boolean THEN max(created_at) END AS last_message_at,
           CASE WHEN $18::boolean THEN count(*) ELSE 0 END AS unread_count
         FROM fresh GROUP BY phone, address
       ),
       ${ensureConversationsOrLeave('opening')},
       saved AS (
         INSERT INTO messages AS m (id, sid, conversation_id, direction, source, captured_via, status, body, body_pending,
           business_address, messaging_service_sid, created_at, error_code, error_message, sent_at, delivered_at, read_at, failed_at)
         SELECT f.id, f.sid, e.id, 'outbound', 'external', $19::text, f.status, f.body, f.body_pending,
           f.business_address, f.messaging_service_sid, f.created_at, f.error_code, f.error_message, f.sent_at, f.delivered_at, f.read_at, f.failed_at
         FROM fresh f JOIN ensured e ON e.phone = f.phone AND e.address = f.address
         -- Every contact and conversation is written before the first message (a one-time filter,
         -- run before any row), so the statement's locks come in phases, each in its own order.
         WHERE (SELECT count(*) FROM ensured) >= 0
         ORDER BY f.sid
         -- A SID another writer stored after this statement began: left for the next statement,
         -- which advances it with the stored ones (in id order), rather than waiting here for its
         -- row's lock while holding the others'.
         ON CONFLICT (sid) DO NOTHING
         RETURNING ${MESSAGE_COLUMNS}
       ),
       job AS (
         INSERT INTO jobs (kind, message_id)
         SELECT f.fetch_job, s.id FROM saved s JOIN fresh f ON f.sid = s.sid WHERE f.fetch_job IS NOT NULL
         ON CONFLICT (kind, message_id) DO NOTHING
       ),
       -- Conversations found above; the ones created here got their activity with them.
       ${touchConversations(`SELECT s.conversation_id, s.id, s.created_at, $18::boolean AS raise, $18::boolean AS unread, false AS inbound
         FROM saved s WHERE s.conversation_id IN (SELECT id FROM found)`)}
       SELECT (SELECT coalesce(json_agg(changed), '[]') FROM changed) AS changed,
              (SELECT coalesce(json_agg(saved), '[]') FROM saved) AS saved,
              (SELECT coalesce(array_agg(v.sid), '{}') FROM v WHERE v.message_id IS NOT NULL AND v.sid NOT IN (SELECT sid FROM locked)) AS unclaimed,
              (SELECT coalesce(array_agg(f.sid), '{}') FROM fresh f WHERE f.sid NOT IN (SELECT sid FROM saved)) AS left_out`,
      [
        col((i) => i.sid), col((i) => i.phone), col((i) => i.senderAddress), col((i) => i.messageId), col((i) => i.businessAddress),
        col((i) => i.messagingServiceSid), col((i) => i.body), col((i) => i.bodyPending), col((i) => i.createdAt), col((i) => i.fetchJob),
        ...advanceColumns(col((i) => i.u)), o.raise, o.via,
      ],
      { prepare: true },
    );
    const r = rows[0]!;
    return {
      changed: r.changed.map(toMessageDto),
      created: r.saved.map(toMessageDto),
      unclaimed: new Set(r.unclaimed),
      leftOut: new Set(r.left_out),
    };
  },

  /**
   * Records messages first seen through callbacks, the inbound webhook or Twilio's list (each SID
   * at most once); a SID already stored (a concurrent writer won) is advanced instead. One
   * statement, so concurrent deliveries of one SID can never make two rows. New messages also
   * queue the fetch of their text when unknown, and become their conversation's latest activity.
   */
  async insertOrAdvanceMany(q: Queryable, items: NewCapturedItem[]): Promise<{ message: MessageDto; inserted: boolean }[]> {
    const col = <T>(f: (i: NewCapturedItem) => T) => items.map(f);
    const { rows } = await q.query<MessageRow & { inserted: boolean }>(
      `WITH input AS (
         SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[],
           $8::jsonb[], $9::text[], $10::text[], $11::timestamptz[], $12::text[], $13::text[], $14::jsonb[],
           $15::text[], $16::boolean[], $17::boolean[], $18::boolean[],
           ${advanceUnnestArgs(19)})
         AS i(sid, conversation_id, direction, source, captured_via, body, body_pending, media, business_address,
           messaging_service_sid, created_at, reply_to_sid, button_payload, location,
           fetch_job, unread, inbound, raise, ${ADVANCE_COLUMN_NAMES})
       ),
       saved AS (
         INSERT INTO messages AS m (sid, conversation_id, direction, source, captured_via, status, body, body_pending,
           media, business_address, messaging_service_sid, created_at, reply_to_sid, button_payload, location,
           error_code, error_message, sent_at, delivered_at, read_at, failed_at)
         SELECT sid, conversation_id, direction, source, captured_via, status, body, body_pending, media, business_address,
           messaging_service_sid, created_at, reply_to_sid, button_payload, location, error_code, error_message,
           sent_at, delivered_at, read_at, failed_at
         FROM input ORDER BY sid
         ON CONFLICT (sid) DO UPDATE SET ${advanceSet(fromRow('EXCLUDED'))} WHERE ${advanceChanges(fromRow('EXCLUDED'))}
         RETURNING ${MESSAGE_COLUMNS}, (xmax = 0) AS inserted
       ),
       job AS (
         INSERT INTO jobs (kind, message_id)
         SELECT i.fetch_job, s.id FROM saved s JOIN input i ON i.sid = s.sid WHERE s.inserted AND i.fetch_job IS NOT NULL
         ON CONFLICT (kind, message_id) DO NOTHING
       ),
       ${touchConversations(`SELECT s.conversation_id, s.id, s.created_at, i.raise, i.unread, i.inbound FROM saved s JOIN input i ON i.sid = s.sid WHERE s.inserted`)}
       SELECT * FROM saved`,
      [
        col((i) => i.sid), col((i) => i.conversationId), col((i) => i.direction), col((i) => i.source), col((i) => i.capturedVia),
        col((i) => i.body), col((i) => i.bodyPending), col((i) => JSON.stringify(i.media)),
        col((i) => i.businessAddress), col((i) => i.messagingServiceSid), col((i) => i.createdAt), col((i) => i.replyToSid ?? null),
        col((i) => i.buttonPayload ?? null), col((i) => (i.location ? JSON.stringify(i.location) : null)),
        col((i) => i.activity.fetchJob), col((i) => i.activity.unread), col((i) => i.activity.inbound), col((i) => i.activity.raise),
        ...advanceColumns(col((i) => i.u)),
      ],
      { prepare: true },
    );
    return rows.map((r) => ({ message: toMessageDto(r), inserted: r.inserted }));
  },

  /**
   * A panel send, written (with its conversation's activity) before Twilio is called, so a
   * callback that wins the race finds it.
   */
  async insertPanelMessage(
    q: Queryable,
    m: {
      conversationId: string; body: string | null; contentSid: string | null; contentVariables: Record<string, string> | null; sentBy: string;
      businessAddress: string | null; messagingServiceSid: string | null; media?: StoredMedia[];
    },
  ): Promise<MessageDto> {
    const { rows } = await q.query<MessageRow>(
      `WITH saved AS (
         INSERT INTO messages AS m (conversation_id, direction, source, captured_via, status, body, content_sid, content_variables,
           sent_by, business_address, messaging_service_sid, media)
         VALUES ($1, 'outbound', 'panel', 'send', 'queued', $2, $3, $4, $5, $6, $7, $8) RETURNING ${MESSAGE_COLUMNS}
       ),
       activity AS (
         UPDATE conversations c SET last_message_id = saved.id, last_message_at = saved.created_at, seq = nextval('change_seq')
         FROM saved WHERE c.id = saved.conversation_id
       )
       SELECT * FROM saved`,
      [m.conversationId, m.body, m.contentSid, m.contentVariables ? JSON.stringify(m.contentVariables) : null, m.sentBy, m.businessAddress, m.messagingServiceSid, JSON.stringify(m.media ?? [])],
    );
    return toMessageDto(rows[0]!);
  },

  /** Twilio accepted a panel send: attach its SID; the status only moves forward (a callback may have come first). */
  async attachSid(q: Queryable, id: string, sid: string, u: StatusUpdate, body: string | null): Promise<MessageDto | null> {
    const { rows } = await q.query<MessageRow>(
      `UPDATE messages AS m SET sid = $9, body = COALESCE(m.body, NULLIF($10, '')), ${ADVANCE_SET} WHERE m.id = $8 RETURNING ${MESSAGE_COLUMNS}`,
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
   * Fills in what Twilio's REST API says of captured messages (their text and media are not in
   * callbacks) and completes the jobs that asked for it, in one statement. `media` null: unchanged.
   */
  async applyFetchedContent(
    q: Queryable,
    // created_at stays as captured: Twilio's dates have whole seconds only, and the first callback
    // comes within moments of the send, so ours orders the chat better.
    items: { id: string; jobId: string; body: string | null; media?: { url: string | null; contentType: string | null }[] | null; u: StatusUpdate | null }[],
  ): Promise<MessageDto[]> {
    // Without a status (Twilio never answered) the rank-0 'accepted' leaves the status alone.
    const u = (i: (typeof items)[number]) => i.u ?? { status: 'accepted' as MessageStatus, errorCode: null, errorMessage: null, at: new Date() };
    const { rows } = await q.query<MessageRow>(
      `WITH v AS (
         SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::jsonb[], ${advanceUnnestArgs(5)})
           AS i(id, job_id, body, media, ${ADVANCE_COLUMN_NAMES})
       ),
       locked AS (${LOCK_IN_ID_ORDER('m.id IN (SELECT id FROM v)')}),
       done AS (DELETE FROM jobs WHERE id IN (SELECT job_id FROM v))
       UPDATE messages AS m SET body = COALESCE(v.body, m.body), body_pending = false, media = COALESCE(v.media, m.media),
         ${advanceSet(fromRow('v'))}
       FROM v JOIN locked l ON l.id = v.id WHERE m.id = l.id RETURNING ${MESSAGE_COLUMNS}`,
      [
        items.map((i) => i.id), items.map((i) => i.jobId), items.map((i) => i.body),
        items.map((i) => (i.media ? JSON.stringify(i.media) : null)), ...advanceColumns(items.map(u)),
      ],
      { prepare: true },
    );
    return rows.map(toMessageDto);
  },

  /**
   * Messages whose text holds `search` (case and accents ignored), newest first, before the keyset
   * `before`; the trigram index messages_body_search finds them. `cursorAt`: the time to the
   * microsecond, for the next page's cursor.
   */
  async search(q: Queryable, search: string, before: { createdAt: string; id: string } | null, limit: number): Promise<{ item: MessageDto; cursorAt: string }[]> {
    const params: unknown[] = [before?.createdAt ?? null, before?.id ?? null, limit];
    const pattern = containsPattern(search, params);
    const { rows } = await q.query<MessageRow & { cursor_at: string }>(
      `SELECT ${MESSAGE_COLUMNS}, ${exactTimeText('m.created_at')} AS cursor_at FROM ${MESSAGE_FROM}
       WHERE search_text(m.body) LIKE ${pattern}
         AND ($1::timestamptz IS NULL OR (m.created_at, m.id) < ($1::timestamptz, $2::uuid))
       ORDER BY m.created_at DESC, m.id DESC LIMIT $3`,
      params,
    );
    return rows.map((r) => ({ item: toMessageDto(r), cursorAt: r.cursor_at }));
  },

  /**
   * Messages changed after `seq`, in seq order, each once. Read through the change log (messages'
   * own seq is not indexed, so a status update stays on its page): only a log row that is still
   * its message's latest change counts.
   */
  async changedSince(q: Queryable, seq: number, limit: number): Promise<MessageDto[]> {
    const { rows } = await q.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM message_changes c JOIN ${MESSAGE_FROM} ON m.id = c.message_id AND m.seq = c.seq
       WHERE c.seq > $1 ORDER BY c.seq LIMIT $2`,
      [seq, limit],
    );
    return rows.map(toMessageDto);
  },

  /**
   * Twilio's answer to a panel send never came: the row stays queued, without a SID, with `note`
   * in error_message, until a callback (?mid=) attaches its SID or failUnconfirmedSends gives up.
   * Returns the row as it now is: a callback that came first has already confirmed it.
   */
  async noteUnconfirmedSend(q: Queryable, id: string, note: string): Promise<MessageDto | null> {
    const { rows } = await q.query<MessageRow>(
      `WITH noted AS (
         UPDATE messages AS m SET error_message = $2, seq = nextval('change_seq')
         WHERE m.id = $1 AND m.sid IS NULL AND m.error_code IS NULL AND wa_status_rank(m.status) < 9
         RETURNING ${MESSAGE_COLUMNS}
       )
       SELECT * FROM noted
       UNION ALL
       SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.id = $1 AND NOT EXISTS (SELECT 1 FROM noted)`,
      [id, note],
    );
    return dtoOrNull(rows);
  },

  /**
   * Claims up to `limit` outbound messages whose status can still advance, created between
   * `createdAfter` and `createdBefore`, the longest unchecked first, and marks them checked now.
   * One statement with SKIP LOCKED, and a message checked in the last `gapSeconds` is not taken
   * again: two instances claiming at once never get the same message (the re-read of a row another
   * claim just updated sees its new check time and drops it).
   */
  async claimStatusRechecks(
    q: Queryable,
    o: { limit: number; createdAfter: Date; createdBefore: Date; gapSeconds: number },
  ): Promise<{ id: string; sid: string }[]> {
    const { rows } = await q.query<{ id: string; sid: string }>(
      `UPDATE messages SET status_checked_at = now()
       WHERE id IN (
         SELECT id FROM messages
         WHERE ${IN_RECHECK_QUEUE} AND ${RECHECKABLE}
           AND created_at > $2 AND created_at < $3
           AND (status_checked_at IS NULL OR status_checked_at < now() - make_interval(secs => $4))
         ORDER BY status_checked_at NULLS FIRST, created_at
         LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id, sid`,
      [o.limit, o.createdAfter, o.createdBefore, o.gapSeconds],
    );
    return rows;
  },

  /**
   * Takes out of the re-check queue up to `limit` messages that no longer need re-checking: final
   * ones, and those created before `createdAfter` (too old to be checked). Status callbacks leave
   * the queue alone, so that their updates stay on the row's page (migration 015); this does it
   * later, in batches. Resolves with how many were taken out.
   */
  async retireStatusRechecks(q: Queryable, o: { limit: number; createdAfter: Date }): Promise<number> {
    const { rows } = await q.query<{ n: number }>(
      `WITH retired AS (UPDATE messages SET status_checked_at = 'infinity'
       WHERE id IN (
         SELECT id FROM messages
         WHERE ${IN_RECHECK_QUEUE} AND (NOT ${RECHECKABLE} OR created_at <= $2)
         ORDER BY status_checked_at NULLS FIRST, created_at
         LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING 1)
       SELECT count(*)::int AS n FROM retired`,
      [o.limit, o.createdAfter],
    );
    return rows[0]!.n;
  },

  /**
   * Panel sends still without a SID `olderThanSeconds` after they were written: Twilio never
   * answered and no callback came, so they are marked failed with `reason`. Sends that got a
   * refusal are failed already; a send in progress is younger than any allowed age.
   */
  async failUnconfirmedSends(q: Queryable, olderThanSeconds: number, reason: string): Promise<MessageDto[]> {
    const { rows } = await q.query<MessageRow>(
      `UPDATE messages AS m SET status = 'failed', error_message = $2, failed_at = now(), seq = nextval('change_seq')
       WHERE m.sid IS NULL AND m.direction = 'outbound' AND m.source = 'panel' AND wa_status_rank(m.status) < 9
         AND m.created_at < now() - make_interval(secs => $1)
       RETURNING ${MESSAGE_COLUMNS}`,
      [olderThanSeconds, reason],
    );
    return rows.map(toMessageDto);
  },
};
