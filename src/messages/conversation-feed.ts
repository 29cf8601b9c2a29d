import type { Database } from '../db/database.ts';
import { conversationRepository } from '../db/conversation-repository.ts';
import type { InboxContext } from './context.ts';
import type { InboxEvents } from './inbox-events.ts';

/** At most this often (per instance) the conversation list is sent to browsers. */
export const LIST_UPDATE_INTERVAL_MS = 250;
const RETRY_AFTER_FAILURE_MS = 2_000;

/**
 * Conversation list updates, coalesced. A campaign brings thousands of status callbacks a second;
 * sent one by one, each browser's list would re-render thousands of times. Conversations that
 * change within one interval are read once and go out as one `conversations:updated` batch: the
 * first change of a quiet period goes out at once, later ones wait for the interval to pass.
 */
export interface ConversationFeed {
  changed(conversationIds: Iterable<string>): void;
  /** Waits for the batch in progress; drops what is pending (the server is closing). */
  close(): Promise<void>;
}

export function createConversationFeed(deps: { db: Database; events: InboxEvents; log: InboxContext['log'] }, intervalMs = LIST_UPDATE_INTERVAL_MS): ConversationFeed {
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  let sending: Promise<void> | null = null;
  let nextAllowedAt = 0;
  let closed = false;

  const schedule = () => {
    if (timer || sending || closed || pending.size === 0) return;
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
    pending.clear();
    try {
      const conversations = await conversationRepository.findManyDto(deps.db, ids);
      if (conversations.length) deps.events.emit('conversations:updated', conversations);
    } catch (err) {
      // The writes are committed; only their announcement failed. Try again a little later
      // (a reconnecting panel catches up through /api/changes in any case).
      for (const id of ids) pending.add(id);
      nextAllowedAt = Date.now() + RETRY_AFTER_FAILURE_MS;
      deps.log.warn({ err, conversations: ids.length }, 'could not publish conversation updates');
    }
  };

  return {
    changed(conversationIds) {
      if (closed) return;
      for (const id of conversationIds) pending.add(id);
      schedule();
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      pending.clear();
      await sending;
    },
  };
}

/** For a process no panel is connected to (the CLI): nobody to tell. */
export const NO_PANELS: ConversationFeed = { changed() {}, close: async () => {} };
