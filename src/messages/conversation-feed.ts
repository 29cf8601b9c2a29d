import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/database.ts';
import { conversationRepository } from '../db/conversation-repository.ts';
import { messageChangeOf, type MessageDto } from '../contract/api.ts';
import type { InboxEvents } from './inbox-events.ts';

/**
 * At most this often (per instance) the conversation list is sent to browsers. Measured at 250 ms
 * and slices of 250: list p99 276 ms; at 200 ms and slices of 150: 235 ms (1,497 batches a
 * 100,000-message campaign against 909), with answers no slower.
 */
export const LIST_UPDATE_INTERVAL_MS = 200;
const RETRY_AFTER_FAILURE_MS = 2_000;
/**
 * Entries (conversations and message changes) per `list:updated`. A campaign's interval holds
 * hundreds; encoded and written to every panel at once, they held the event loop up to 16 ms every
 * 250 ms, and callbacks arriving meanwhile waited for their answers. Larger batches go out as
 * several, a turn of the event loop apart (measured with a 250 ms interval: slices of 150 took the
 * answers' p99 from 41 to 35 ms but the list's from 270 to 287 ms; slices of 250, 37 and 269 ms).
 * The shorter interval above pays for the smaller slices.
 */
export const LIST_UPDATE_MAX_ENTRIES = 150;

/**
 * Conversation list updates, coalesced. A campaign brings thousands of status callbacks a second;
 * sent one by one, each browser's list would re-render thousands of times. What changes within one
 * interval goes out as one `list:updated` batch: the first change of a quiet period at once, later
 * ones when the interval has passed. Conversations that gained a message or were read are read
 * again (order, preview, unread count); a message whose status or text changed is sent as it is
 * (the latest copy of each), since it changes at most its conversation's preview — no read for
 * the bulk of a campaign, which is status callbacks.
 */
export interface ConversationFeed {
  changed(conversationIds: Iterable<string>): void;
  messagesChanged(messages: Iterable<MessageDto>): void;
  /** Waits for the batch in progress; drops what is pending (the server is closing). */
  close(): Promise<void>;
}

// The feed needs only a logger, not the whole InboxContext (which holds the feed itself).
export function createConversationFeed(deps: { db: Database; events: InboxEvents; log: Pick<FastifyBaseLogger, 'warn'> }, intervalMs = LIST_UPDATE_INTERVAL_MS): ConversationFeed {
  const pending = new Set<string>();
  const pendingMessages = new Map<string, MessageDto>();
  let timer: NodeJS.Timeout | null = null;
  let sending: Promise<void> | null = null;
  let nextAllowedAt = 0;
  let closed = false;

  const schedule = () => {
    if (timer || sending || closed || (pending.size === 0 && pendingMessages.size === 0)) return;
    timer = setTimeout(() => {
      timer = null;
      sending = send().finally(() => {
        sending = null;
        schedule();
      });
    }, Math.max(0, nextAllowedAt - Date.now()));
  };

  const send = async () => {
    nextAllowedAt = Date.now() + intervalMs;
    const ids = [...pending];
    const messages = [...pendingMessages.values()];
    pending.clear();
    pendingMessages.clear();
    try {
      const conversations = ids.length ? await conversationRepository.findManyDto(deps.db, ids) : [];
      const changes = messages.map(messageChangeOf);
      for (let c = 0, m = 0; c < conversations.length || m < changes.length;) {
        if (c || m) await new Promise((resolve) => setImmediate(resolve));
        if (closed) return;
        const take = Math.min(conversations.length - c, LIST_UPDATE_MAX_ENTRIES);
        const update = { conversations: conversations.slice(c, c + take), messages: changes.slice(m, m + LIST_UPDATE_MAX_ENTRIES - take) };
        c += update.conversations.length;
        m += update.messages.length;
        deps.events.emit('list:updated', update);
      }
    } catch (err) {
      // The writes are committed; only their announcement failed. Try again a little later
      // (a reconnecting panel catches up through /api/changes in any case).
      for (const id of ids) pending.add(id);
      for (const m of messages) keepLatest(m);
      nextAllowedAt = Date.now() + RETRY_AFTER_FAILURE_MS;
      deps.log.warn({ err, conversations: ids.length }, 'could not publish conversation updates');
    }
  };

  const keepLatest = (m: MessageDto) => {
    const known = pendingMessages.get(m.id);
    if (!known || known.seq < m.seq) pendingMessages.set(m.id, m);
  };

  return {
    changed(conversationIds) {
      if (closed) return;
      for (const id of conversationIds) pending.add(id);
      schedule();
    },
    messagesChanged(messages) {
      if (closed) return;
      for (const m of messages) keepLatest(m);
      schedule();
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      pending.clear();
      pendingMessages.clear();
      await sending;
    },
  };
}

/** For a process no panel is connected to (the CLI): nobody to tell. */
export const NO_PANELS: ConversationFeed = { changed() {}, messagesChanged() {}, close: async () => {} };
