// The one contract between server and panel: the shapes the REST API returns and the Socket.IO
// events that carry them. Imported by the server (src/) and by the panel (web/, types only).

import { z } from 'zod';

export const MESSAGE_STATUSES = [
  'accepted', 'scheduled', 'queued', 'sending', 'sent', 'delivered', 'read',
  'undelivered', 'failed', 'canceled', 'receiving', 'received', 'partially_delivered',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export type Direction = 'inbound' | 'outbound';
/**
 * The answer to a Twilio Event Streams delivery (POST /api/twilio/events): how many messaging
 * events were recorded (replays included: they change nothing) and how many were not ours or not
 * messaging events.
 */
export interface EventStreamsAnswer {
  recorded: number;
  ignored: number;
}

/** Who originated the message: an agent in the panel, someone outside (Wix, scripts), or the customer. */
export type MessageSource = 'panel' | 'external' | 'inbound';
/** How the message reached our database ('event_stream': a Twilio Event Streams delivery). */
export type CapturedVia = 'send' | 'callback' | 'webhook' | 'reconcile' | 'backfill' | 'event_stream';

export interface MediaDto {
  /**
   * Our own proxy path (`/api/media/<messageId>/<index>`); the server adds Twilio's credentials.
   * null: the item is unavailable (the webhook carried no usable URL for it).
   */
  url: string | null;
  contentType: string | null;
  /** A file sent from the panel: its name as the agent chose it (inbound media have none). */
  filename?: string | null;
  /** A file sent from the panel: its size in bytes. */
  size?: number | null;
}

export interface MessageDto {
  /** Tells a chat's timeline items apart: WhatsApp messages and the team's internal notes (NoteDto). */
  kind: 'message';
  id: string;
  sid: string | null;
  conversationId: string;
  direction: Direction;
  source: MessageSource;
  capturedVia: CapturedVia;
  status: MessageStatus;
  /** Null while the text of a captured message is still being fetched from Twilio. */
  body: string | null;
  /** The text (and, for a captured message with media, the media) is still being fetched from Twilio. */
  bodyPending: boolean;
  /**
   * A customer's media (from the inbound webhook), or the media of a message sent from outside
   * (listed from Twilio with its text, so it may arrive in a later update). With a body, the body
   * is the caption.
   */
  media: MediaDto[];
  contentSid: string | null;
  contentVariables: Record<string, string> | null;
  errorCode: number | null;
  errorMessage: string | null;
  sentBy: { id: string; name: string } | null;
  replyToSid: string | null;
  buttonPayload: string | null;
  location: { latitude: number; longitude: number; address: string | null; label: string | null } | null;
  createdAt: string;
  sentAt: string | null;
  deliveredAt: string | null;
  readAt: string | null;
  failedAt: string | null;
  /** Change sequence: grows on every write; `GET /api/changes?after=` resumes from it. */
  seq: number;
}

export interface ContactDto {
  id: string;
  /** E.164, e.g. +573153369631 */
  phone: string;
  /** The name we use: WhatsApp's profile name until a person renames the contact, then theirs for good. */
  name: string | null;
  /** What the customer calls themselves on WhatsApp (ProfileName), as last received. */
  profileName: string | null;
  /** The team's free-text notes about the customer. */
  notes: string;
  /** When the contact was first seen (written to, or wrote). */
  firstContactAt: string;
  /** The customer's last message (null: never wrote). */
  lastCustomerMessageAt: string | null;
}

/** `PATCH /api/contacts/:id`: `name: null` goes back to WhatsApp's profile name. */
export interface ContactPatchDto {
  name?: string | null;
  notes?: string;
}

/**
 * An internal note in a chat's timeline (`POST /api/conversations/:id/notes`): seen by the team
 * only, never sent to WhatsApp, never the conversation's last message, unread or window.
 */
export interface NoteDto {
  kind: 'note';
  id: string;
  conversationId: string;
  /** Null once its author is gone. */
  author: { id: string; name: string } | null;
  body: string;
  createdAt: string;
  seq: number;
}

/**
 * `GET /api/conversations/:id/messages`: messages and notes in one time order (created_at, id),
 * told apart by `kind`; the cursor pages over both.
 */
export type TimelineItemDto = MessageDto | NoteDto;

/**
 * One of our WhatsApp numbers (`GET /api/senders`, any user; `PATCH /api/senders/:id` admins: name
 * and colour, audited as `sender.update`). A conversation is one sender × one customer; the panel
 * shows senders only when there is more than one.
 */
export interface SenderDto {
  id: string;
  /** whatsapp:+57... */
  address: string;
  /** E.164, as shown. */
  phone: string;
  /** Set by an admin; '' until then (the panel shows the phone). */
  name: string;
  /** #rrggbb: the admin's choice, else one picked from the address. */
  colour: string;
}

/** `PATCH /api/senders/:id`: either or both; `colour: null` goes back to the picked one. */
export interface SenderPatchDto {
  name?: string;
  colour?: string | null;
}

export interface ConversationDto {
  id: string;
  contact: ContactDto;
  /** Which of our numbers this conversation is with the customer. */
  sender: SenderDto;
  lastMessage: MessageDto | null;
  lastMessageAt: string | null;
  unreadCount: number;
  lastInboundAt: string | null;
  /** When WhatsApp's 24-hour customer-service window closes (null: never opened). */
  windowExpiresAt: string | null;
  /** Who looks after it (any user, disabled ones included once assigned); null: nobody. */
  assignee: { id: string; name: string } | null;
  /** A customer's new message reopens a resolved conversation (its assignee kept). */
  status: ConversationStatus;
  seq: number;
}

export type ConversationStatus = 'open' | 'resolved';

/**
 * `PATCH /api/conversations/:id`: any of these, at least one → 200 ConversationDto. `assigneeId`
 * must be an active user (400 otherwise); `unread: true` brings the unread badge back (at least 1).
 * Each change is audited (`conversation.assign`, `conversation.status`, `conversation.unread`).
 */
export interface ConversationPatchDto {
  assigneeId?: string | null;
  status?: ConversationStatus;
  unread?: true;
}

/**
 * The list's filters: `GET /api/conversations?assignee=me|none|<userId>&status=open|resolved&unread=true`
 * (each optional, combinable with `q` and `cursor`).
 */
export interface ConversationFilterDto {
  assignee?: 'me' | 'none' | string;
  /** A sender's id: only that number's conversations (the counts take it too). */
  sender?: string;
  status?: ConversationStatus;
  unread?: boolean;
}

/**
 * `GET /api/conversations/counts?assignee=&status=&unread=&q=` (the same filters as the list): the
 * number on each filter chip, for the signed-in user. Each count is what the list would hold with
 * that chip chosen and the other groups' filters as given: `mine`, `unassigned` and `all` follow
 * `status` (and `unread`); `open` and `resolved` follow `assignee` (and `unread`); `unread`
 * follows both; `q` narrows them all as it narrows the list. Conversations without any message yet
 * are not counted (the list does not show them).
 */
export interface ConversationCountsDto {
  mine: number;
  unassigned: number;
  all: number;
  open: number;
  resolved: number;
  unread: number;
}

/** `GET /api/assignees`: who a conversation can be given to (active users), for every signed-in user. */
export interface AssigneeDto {
  id: string;
  name: string;
}

export interface UserDto {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'agent';
  disabled: boolean;
}

/** The Content API types WhatsApp takes, as the picker shows and sends them. */
export const TEMPLATE_KINDS = ['twilio/text', 'twilio/media', 'twilio/quick-reply', 'twilio/call-to-action', 'twilio/card'] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

/** A template's button: a quick reply, or a call to action (a link, a phone number, a code to copy). */
export interface TemplateActionDto {
  type: 'QUICK_REPLY' | 'URL' | 'PHONE_NUMBER' | 'COPY_CODE' | 'VOICE_CALL';
  /** The button's label (may hold {{n}}). */
  title: string;
  /** URL buttons: where it leads (may hold {{n}}). */
  url: string | null;
  /** PHONE_NUMBER buttons: the number it calls. */
  phone: string | null;
}

/** An approved (or pending) WhatsApp template from Twilio's Content API. */
export interface TemplateDto {
  sid: string;
  name: string;
  language: string;
  /** Which Content type it is (a text-only one when Twilio's has none of these). */
  kind: TemplateKind;
  /** Text with {{1}}-style placeholders (a card's body; may be empty for a card with a title). */
  body: string;
  /** twilio/card: its title and subtitle (may hold {{n}}); null otherwise. */
  title: string | null;
  subtitle: string | null;
  /** The media header's URLs (twilio/media, twilio/card); a URL may hold {{n}}. */
  media: string[];
  /** Buttons (twilio/quick-reply, twilio/call-to-action, twilio/card), in order. */
  actions: TemplateActionDto[];
  /** Sample values for the placeholders, wherever they are (text, media URL, button). */
  variables: Record<string, string>;
  approved: boolean;
}

export interface SettingsDto {
  /** Whether a message sent from outside (a campaign from the Wix site) raises its conversation and counts as unread. */
  externalRaisesConversation: boolean;
  /** Whether an agent who replies from the panel in an unassigned conversation takes it (default on). */
  replyTakesConversation: boolean;
}

/**
 * The signed-in user's own alerts for a new customer message in a conversation that is theirs or
 * nobody's, shown while the tab is hidden or another chat is open: a desktop notification (once
 * the browser's permission is granted) and a short sound. Both on by default.
 * `PATCH /api/auth/me/alerts` with at least one of them → 200 the updated AlertPreferencesDto; the
 * user's other open panels learn it through `alerts:updated`.
 */
export interface AlertPreferencesDto {
  desktop: boolean;
  sound: boolean;
}

/** `GET /api/auth/me`. */
export interface SessionDto {
  user: UserDto;
  demoMode: boolean;
  settings: SettingsDto;
  /** This user's alerts (AlertPreferencesDto). */
  alerts: AlertPreferencesDto;
  /** Sent back in the X-CSRF-Token header on every POST, PUT, PATCH and DELETE (also in the login answer). */
  csrfToken: string;
  /** DEFAULT_COUNTRY (ISO 3166 alpha-2, `CO` unless set): the country a new chat's number is read in. */
  defaultCountry: string;
}

/**
 * `GET /api/search/messages?q=&cursor=&limit=`: messages whose text holds `q` (case and accents
 * ignored: "campana" finds "Campaña"), newest first, each with its conversation (a PageDto of these).
 */
export interface MessageSearchHitDto {
  message: MessageDto;
  conversation: ConversationDto;
}

/**
 * A canned answer (`GET /api/quick-replies`, sorted by shortcut; writes admin-only). Typing
 * `/` + its shortcut in the composer offers it; `{{nombre}}` in the body is filled in the panel with
 * the contact's name when inserted.
 */
export interface QuickReplyDto {
  id: string;
  /** Without the slash, lowercase: 1-32 letters (accents allowed), digits, `-`, `_` (`horario`, `cotización`). */
  shortcut: string;
  /** 1-4096 characters; may hold `{{nombre}}`. */
  body: string;
  createdAt: string;
  updatedAt: string;
  /** Who wrote it last (null once that user is gone). */
  updatedBy: { id: string; name: string } | null;
}

/**
 * `POST /api/quick-replies` (both fields) and `PATCH /api/quick-replies/:id` (either). The shortcut
 * may come with its slash and in any case: `/Horario` and `horario` are the same (409 `conflict` when
 * taken).
 */
export interface QuickReplyInputDto {
  shortcut: string;
  body: string;
}

/** A cursor page: `nextCursor` fetches the next (older) page. */
export interface PageDto<T> {
  items: T[];
  nextCursor: string | null;
}

/** `GET /api/changes?after=`: everything written after a seq. */
export interface ChangesDto {
  messages: MessageDto[];
  conversations: ConversationDto[];
  /** Internal notes written after the seq (a reconnecting panel adds them to the chats it holds). */
  notes: NoteDto[];
  seq: number;
  /** The answer was cut short; ask again from `seq`. */
  more: boolean;
}

/**
 * `POST /api/conversations/:id/messages` as JSON. The same route also takes `multipart/form-data`
 * with a `file` (and an optional caption in `body`): a file from the panel (MEDIA_UPLOAD), answered
 * 201 with the MessageDto whose `media[0]` carries its name and size, 400 `unsupported_media` for a
 * kind WhatsApp does not take (read from the bytes), 413 `media_too_large` over WhatsApp's limits,
 * 409 `window_closed` outside the 24-hour window.
 */
export type OutgoingDto = { body: string } | { contentSid: string; contentVariables: Record<string, string> };

// What the panel may upload: in a file of its own, so the panel takes the values without zod.
export { MEDIA_UPLOAD } from './media-upload.ts';

/**
 * `POST /api/conversations`: an agent writes first to a number, with an approved template (all
 * WhatsApp allows to open a conversation). `phone` as typed (`315 336 9631`, `+57 315 336 9631`,
 * `573153369631`): without `+` it is read in `country` (ISO 3166 alpha-2, default the session's
 * `defaultCountry`). `name`, when given, becomes the contact's chosen name (as `PATCH
 * /api/contacts/:id`). Answer: NewConversationResultDto, 201 when the conversation is new, 200 when
 * the number already had one (the template is sent in it); a number that is not valid is 400
 * `validation` with `messageEs`. Audited as `conversation.create` (when new) and `message.send`.
 */
export interface NewConversationDto {
  phone: string;
  country?: string;
  name?: string;
  contentSid: string;
  contentVariables?: Record<string, string>;
  /** Which of our numbers writes (a sender's id or its whatsapp:+57... address): required when there are several; 400 when unknown. */
  sender?: string;
}

export interface NewConversationResultDto {
  conversation: ConversationDto;
  message: MessageDto;
}

export interface ApiError {
  error: {
    /** Stable machine code: `window_closed`, `twilio_error`, `not_found`, `validation`, ... */
    code: string;
    /** English text. */
    message: string;
    /** Spanish text. */
    messageEs: string;
    twilioCode?: number;
  };
}

/**
 * What can change on a message once it is written: its status (with its time and error) and, for
 * a message captured from a callback, its text and media. The list carries only this: a campaign
 * changes the status of thousands of messages a second, and each whole message is three times the
 * size. `media` is present only when the message has some (a message's media never go away), so
 * a status change of a text message carries none.
 */
export type MessageChangeDto = Pick<MessageDto,
  'id' | 'conversationId' | 'sid' | 'status' | 'errorCode' | 'errorMessage' | 'body' | 'bodyPending' | 'sentAt' | 'deliveredAt' | 'readAt' | 'failedAt' | 'seq'>
  & Partial<Pick<MessageDto, 'media'>>;

export const messageChangeOf = (m: MessageDto): MessageChangeDto => ({
  id: m.id, conversationId: m.conversationId, sid: m.sid, status: m.status, errorCode: m.errorCode, errorMessage: m.errorMessage,
  body: m.body, bodyPending: m.bodyPending, sentAt: m.sentAt, deliveredAt: m.deliveredAt, readAt: m.readAt, failedAt: m.failedAt, seq: m.seq,
  ...(m.media.length ? { media: m.media } : {}),
});

/** A coalesced batch of list changes. */
export interface ListUpdateDto {
  /** Conversations that gained a message or were read: their whole list entry. */
  conversations: ConversationDto[];
  /**
   * Messages whose status or text changed: a panel applies each to the copy it holds (its
   * conversation's last message, a loaded chat's bubble); a message it does not hold it skips.
   */
  messages: MessageChangeDto[];
}

/** The Socket.IO room of a conversation: the panels that have its chat open. */
export const conversationRoom = (conversationId: string) => `conversation:${conversationId}`;

/** `GET /api/audit` (admins), newest first: who sent which message, who changed which user or setting. */
export interface AuditEntryDto {
  id: number;
  at: string;
  /** Null when no signed-in user did it. */
  actor: { id: string; name: string; email: string } | null;
  /**
   * `message.send`, `user.create`, `user.update`, `settings.update`, `contact.update`, `note.create`,
   * `conversation.create` (a new chat started from the panel), `conversation.assign`, `conversation.status`, `conversation.unread`,
   * `quickReply.create`, `quickReply.update`, `quickReply.delete` (target: the quick reply's id;
   * details: its `shortcut`, and on update the `from` shortcut when it changed).
   */
  action: string;
  /** The message's id (`message.send`), the user's id (`user.*`), the contact's or the note's; null for settings. */
  target: string | null;
  /** What changed, never a password: `{ disabled: true }`, `{ email, role }`, `{ conversationId, contentSid }`... */
  details: Record<string, unknown>;
  /** `user.*`: the user acted on, as named today. */
  targetUser: { id: string; name: string; email: string } | null;
  /** `message.send`: the conversation it went to, and the start of its text. */
  targetMessage: { conversationId: string; contact: ContactDto; body: string | null } | null;
  /** `conversation.*`: the conversation acted on, by its contact. */
  targetConversation: { id: string; contact: Pick<ContactDto, 'id' | 'phone' | 'name'> } | null;
  /** `conversation.assign`: the user it was given to, as named today (null: nobody). */
  assignedTo: { id: string; name: string } | null;
}

export interface ServerToClientEvents {
  /** A message of the chat this panel watches was written (to that chat's panels only). */
  'message:new': (message: MessageDto) => void;
  /** Its status, text or error changed (to that chat's panels only). */
  'message:updated': (message: MessageDto) => void;
  /** An internal note was added to the chat this panel watches (to that chat's panels only). */
  'note:new': (note: NoteDto) => void;
  /** What changed in the conversation list (order, preview, ticks, unread): every panel, a few batches a second at most. */
  'list:updated': (update: ListUpdateDto) => void;
  /**
   * The quick replies changed (created, edited, deleted) on any instance: every panel fetches
   * `GET /api/quick-replies` again. Only a hint, so events from two instances arriving out of order
   * never leave a panel with an older list than the database's.
   */
  'quickReplies:changed': (change: { action: 'create' | 'update' | 'delete'; id: string }) => void;
  /** A sender was renamed or recoloured (or a new one appeared): every panel fetches `GET /api/senders` again. */
  'senders:changed': (change: { id: string }) => void;
  /**
   * Events between instances were lost for a while (Redis was down) and flow again: fetch what
   * was missed from `/api/changes?after=<last seq>`, as after a reconnect.
   */
  'sync:resync': () => void;
  /** The signed-in user changed their alerts (in this panel or another): to that user's panels only. */
  'alerts:updated': (alerts: AlertPreferencesDto) => void;
}

export interface ClientToServerEvents {
  /**
   * The chat this panel shows (null: none); one at a time. Message events for it flow once the
   * ack arrives, so the panel loads the chat's messages after the ack and misses nothing.
   */
  'conversation:watch': (conversationId: string | null, ack: (ok: boolean) => void) => void;
}

/** An event's arguments without its trailing ack (the ack is the server's function, never the client's data). */
type ArgumentsOf<F> = F extends (...args: infer A) => void ? (A extends [...infer Data, (...r: never[]) => void] ? Data : A) : never;

/**
 * What each client event's arguments must be, checked (type and size) before any handler touches
 * them: a socket is any logged-in browser, or a script with a stolen-or-own cookie. A bad call is
 * answered `false` through its ack, or ignored. Every event of ClientToServerEvents must have one.
 */
export const CLIENT_EVENT_ARGS = {
  // z.guid(): any 8-4-4-4-12 hex, as the conversations' ids; its length bounds the string.
  'conversation:watch': z.tuple([z.guid().nullable()]),
} satisfies { [E in keyof ClientToServerEvents]: z.ZodType<ArgumentsOf<ClientToServerEvents[E]>> };
