import { api, ApiRequestError, type Outgoing } from '../api/client.ts';
import type { ConversationCountsDto, ConversationDto, ConversationPatchDto, ListUpdateDto, MessageChangeDto, MessageDto, NoteDto, TimelineItemDto, UserDto } from '../api/contract.ts';
import { QuickReplyStore } from '../quickReplies/quickReplyStore.ts';
import { SenderStore } from '../senders/senderStore.ts';
import { DEFAULT_FILTER, filterParams, matchesFilter, storedFilter, storeFilter, type ListFilter } from './listFilter.ts';

/**
 * The panel's copy of the inbox: conversations, the list being shown, and the loaded pages of each
 * opened chat. REST pages, Socket.IO events and /api/changes all merge here by `seq`, so whichever
 * arrives last, the newest version of every row wins.
 *
 * Objects are immutable: a change replaces the one row that changed, so React re-renders that row
 * (one list item, one bubble) and not the whole list.
 */

/** A panel send that the server has not confirmed yet (or refused). */
export interface LocalSend {
  state: 'sending' | 'failed';
  error: unknown;
}
export interface ChatMessage extends MessageDto {
  local?: LocalSend;
}

export interface ConversationList {
  query: string;
  filter: ListFilter;
  ids: readonly string[];
  nextCursor: string | null;
  loading: boolean;
  /** The first page has arrived. */
  loaded: boolean;
  error: unknown;
}

export interface Thread {
  /** Server messages oldest → newest, then this panel's unconfirmed sends. */
  messages: readonly ChatMessage[];
  /** The team's internal notes among the loaded pages, oldest → newest (shown between the messages). */
  notes: readonly NoteDto[];
  olderCursor: string | null;
  loaded: boolean;
  loading: boolean;
  loadingOlder: boolean;
  error: unknown;
}

const EMPTY_LIST: ConversationList = { query: '', filter: DEFAULT_FILTER, ids: [], nextCursor: null, loading: false, loaded: false, error: null };
const EMPTY_THREAD: Thread = { messages: [], notes: [], olderCursor: null, loaded: false, loading: false, loadingOlder: false, error: null };
/** After this many pages of /api/changes the panel is too far behind: it reloads what it shows. */
const MAX_CATCH_UP_PAGES = 20;
/** The chips' counts are asked again at most this often (they follow every list change). */
const COUNTS_INTERVAL_MS = 500;
/** How far before the highest seq seen a catch-up starts (see catchUpOnce). */
const CATCH_UP_OVERLAP = 200;

// Newest activity first, as the server sorts: last_message_at DESC NULLS LAST, id DESC.
function listOrder(a: ConversationDto, b: ConversationDto): number {
  const at = a.lastMessageAt ? Date.parse(a.lastMessageAt) : -Infinity;
  const bt = b.lastMessageAt ? Date.parse(b.lastMessageAt) : -Infinity;
  if (at !== bt) return bt - at;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

// Oldest first, as the server pages: created_at, id.
function chatOrder(a: { createdAt: string; id: string }, b: { createdAt: string; id: string }): number {
  const d = Date.parse(a.createdAt) - Date.parse(b.createdAt);
  if (d !== 0) return d;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * A customer's new message, as the list learnt it: the conversation's entry now ends with an inbound
 * message it did not end with before. `live`: from a list update; `catch-up`: fetched in bulk after
 * a reconnect or a resync.
 */
export interface Arrival {
  conversation: ConversationDto;
  message: MessageDto;
}
export type ArrivalListener = (arrivals: Arrival[], how: 'live' | 'catch-up') => void;

/**
 * The arrival in a conversation's new entry, if any. A conversation the panel did not hold (beyond
 * the loaded pages) counts only with a message newer than anything the panel had seen, so an old
 * message does not alert because its conversation was assigned or read elsewhere.
 */
function arrivalIn(prev: ConversationDto | undefined, next: ConversationDto, seenUpTo: number): Arrival | null {
  const message = next.lastMessage;
  if (!message || message.direction !== 'inbound') return null;
  if (prev ? prev.lastMessage?.id === message.id : message.seq <= seenUpTo) return null;
  return { conversation: next, message };
}

let localCounter = 0;
/** How far back a search hit's chat is loaded to reach its message: 5,000 messages (the server's biggest page is 200). */
const REVEAL_PAGE_SIZE = 200;
const REVEAL_PAGES = 25;

const messagesOf = (items: TimelineItemDto[]) => items.filter((i): i is MessageDto => i.kind === 'message');
const notesOf = (items: TimelineItemDto[]) => items.filter((i): i is NoteDto => i.kind === 'note');

/**
 * Refusals that happen before any row exists and that the sender can fix where they typed (closed
 * window, an invalid or unapproved template): the text goes back to them instead of leaving a
 * failed bubble in the chat.
 */
export function isReturnedToSender(err: unknown): boolean {
  return err instanceof ApiRequestError && ['window_closed', 'validation', 'template_not_approved', 'unknown_template'].includes(err.code);
}

export class InboxStore {
  private listeners = new Set<() => void>();
  private conversations = new Map<string, ConversationDto>();
  private threads = new Map<string, Thread>();
  private list: ConversationList = { ...EMPTY_LIST, filter: storedFilter() };
  private counts: ConversationCountsDto | null = null;
  private countsTimer: ReturnType<typeof setTimeout> | null = null;
  private countsAgain = false;
  /** Marked unread from their open chat: not read again until opened anew. */
  private keptUnread = new Set<string>();
  private listToken = 0;
  private lastSeq = 0;
  private catchingUp: Promise<void> | null = null;
  private catchUpAgain = false;
  private pendingConversationFetches = new Set<string>();
  private unreadChats = 0;
  private watched: string | null = null;
  /** The message a search hit asked its chat to show: the chat scrolls to it once it is loaded. */
  private focus: { conversationId: string; messageId: string } | null = null;
  /** Older pages in flight, per chat: a second ask waits for the same one. */
  private olderLoads = new Map<string, Promise<void>>();
  private tellServerWatching: (conversationId: string | null) => Promise<void> = async () => {};
  /** The team's canned answers: the composer's `/` list and the admin page. */
  readonly quickReplies = new QuickReplyStore();
  /** Our WhatsApp numbers: tags, the sender filter and the new chat's choice when there are several. */
  readonly senders = new SenderStore();
  private arrivalListeners = new Set<ArrivalListener>();

  constructor(private readonly me: UserDto) {}

  // ---- subscription (useSyncExternalStore) ----

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
  private emit(): void {
    for (const l of this.listeners) l();
  }

  getConversation = (id: string): ConversationDto | undefined => this.conversations.get(id);
  getList = (): ConversationList => this.list;
  getThread = (id: string): Thread => this.threads.get(id) ?? EMPTY_THREAD;
  /** Conversations with unread messages, among those the panel knows: the tab title's number. */
  getUnreadChats = (): number => this.unreadChats;
  /** The filter chips' numbers (null until the first answer). */
  getCounts = (): ConversationCountsDto | null => this.counts;
  getLastSeq = (): number => this.lastSeq;

  /** Customers' new messages (see Arrival): what the alerts listen to. */
  onArrivals(listener: ArrivalListener): () => void {
    this.arrivalListeners.add(listener);
    return () => this.arrivalListeners.delete(listener);
  }
  private tellArrivals(arrivals: Arrival[], how: 'live' | 'catch-up'): void {
    if (arrivals.length) for (const l of this.arrivalListeners) l(arrivals, how);
  }

  /** putConversation, noting in `arrivals` a customer's new message it brings. */
  private putConversationNoting(next: ConversationDto, arrivals: Arrival[], seenUpTo: number): boolean {
    const prev = this.conversations.get(next.id);
    if (!this.putConversation(next)) return false;
    const arrival = arrivalIn(prev, next, seenUpTo);
    if (arrival) arrivals.push(arrival);
    return true;
  }

  private seen(seq: number): void {
    if (seq > this.lastSeq) this.lastSeq = seq;
  }

  // ---- conversations ----

  private putConversation(next: ConversationDto): boolean {
    const prev = this.conversations.get(next.id);
    this.seen(next.seq);
    if (prev && prev.seq > next.seq) return false;
    // A message event may already have given us a newer copy of the last message (its ticks).
    if (prev?.lastMessage && next.lastMessage && prev.lastMessage.id === next.lastMessage.id && prev.lastMessage.seq > next.lastMessage.seq) {
      next = { ...next, lastMessage: prev.lastMessage };
    }
    this.conversations.set(next.id, next);
    this.unreadChats += (next.unreadCount > 0 ? 1 : 0) - (prev && prev.unreadCount > 0 ? 1 : 0);
    this.placeInList(next);
    return true;
  }

  /** Moves (or adds, or drops) one conversation in the visible list, keeping the server's order. */
  private placeInList(c: ConversationDto): void {
    const { ids } = this.list;
    const from = ids.indexOf(c.id);
    const searching = this.list.query !== '';
    // Assigned elsewhere, resolved, read: it leaves a list filtered on what it no longer is.
    if (!matchesFilter(c, this.list.filter, this.me.id)) {
      if (from !== -1) this.list = { ...this.list, ids: ids.filter((id) => id !== c.id) };
      return;
    }
    // A search shows what the server matched; a conversation that changes is updated in place
    // but never added, since only the server knows whether it matches.
    if (from === -1 && (searching || !this.list.loaded || !c.lastMessage)) return;

    const rest = from === -1 ? ids : ids.filter((id) => id !== c.id);
    let to = rest.findIndex((id) => listOrder(c, this.conversations.get(id)!) < 0);
    if (to === -1) {
      // Sorts after everything loaded: it belongs to a page not fetched yet, unless there is none.
      if (this.list.nextCursor !== null && !searching) {
        if (from !== -1) this.list = { ...this.list, ids: rest };
        return;
      }
      to = rest.length;
    }
    if (to === from) return;
    const nextIds = rest.slice();
    nextIds.splice(to, 0, c.id);
    this.list = { ...this.list, ids: nextIds };
  }

  upsertConversation(c: ConversationDto): void {
    if (this.putConversation(c)) {
      this.emit();
      this.refreshCounts();
    }
  }

  /** A coalesced batch of list changes from the server: one render for all of it. */
  applyListUpdate(update: ListUpdateDto): void {
    let changed = false;
    const arrivals: Arrival[] = [];
    const seenUpTo = this.lastSeq;
    for (const c of update.conversations) changed = this.putConversationNoting(c, arrivals, seenUpTo) || changed;
    // A status or text change: the preview's ticks and text when it is the last message, and the
    // bubble when its chat is loaded. A chat opened later loads the message as it is by then.
    for (const change of update.messages) changed = this.applyMessageChange(change) || changed;
    if (changed) this.emit();
    // Only conversations' entries move counts (assignee, status, unread); ticks do not.
    if (update.conversations.length) this.refreshCounts();
    this.tellArrivals(arrivals, 'live');
  }

  /** A chip chosen: the list starts again from the server under it, and the choice is kept. */
  setFilter(filter: ListFilter): void {
    storeFilter(filter);
    this.list = { ...EMPTY_LIST, query: this.list.query, filter };
    this.emit();
    void this.loadConversations();
    this.refreshCounts();
  }

  /**
   * Asks the server for the chips' counts again, at most every COUNTS_INTERVAL_MS: a burst of
   * list changes costs one request, and the last change is always counted.
   */
  refreshCounts(): void {
    if (this.countsTimer) {
      this.countsAgain = true;
      return;
    }
    const { filter, query } = this.list;
    this.countsTimer = setTimeout(() => {
      this.countsTimer = null;
      if (this.countsAgain) {
        this.countsAgain = false;
        this.refreshCounts();
      }
    }, COUNTS_INTERVAL_MS);
    api.conversationCounts({ ...filterParams(filter), ...(query ? { q: query } : {}) }).then(
      (counts) => {
        if (filter !== this.list.filter || query !== this.list.query) return;
        this.counts = counts;
        this.emit();
      },
      () => {
        /* offline: the reconnect's catch-up asks again */
      },
    );
  }

  /** Assign, resolve, reopen or mark unread; the answer (and the live update) shows it everywhere. */
  async updateConversation(id: string, patch: ConversationPatchDto): Promise<void> {
    // The chat is still on screen when the answer comes: it must not read the badge away at once.
    if (patch.unread) this.keptUnread.add(id);
    try {
      this.upsertConversation(await api.updateConversation(id, patch));
    } catch (err) {
      if (patch.unread) this.keptUnread.delete(id);
      throw err;
    }
  }

  setQuery(query: string): void {
    const q = query.trim();
    if (q === this.list.query && (this.list.loaded || this.list.loading)) return;
    this.list = { ...EMPTY_LIST, query: q, filter: this.list.filter };
    this.emit();
    void this.loadConversations();
    // The chips count what the search matches.
    this.refreshCounts();
  }

  async loadConversations(): Promise<void> {
    const list = this.list;
    if (list.loading || (list.loaded && list.nextCursor === null)) return;
    const token = ++this.listToken;
    this.list = { ...list, loading: true, error: null };
    this.emit();
    try {
      const page = await api.conversations({ q: list.query, cursor: list.nextCursor, filter: filterParams(list.filter) });
      if (token !== this.listToken) return;
      const ids = this.list.ids.slice();
      const known = new Set(ids);
      for (const c of page.items) {
        this.seen(c.seq);
        const prev = this.conversations.get(c.id);
        if (!prev || prev.seq <= c.seq) {
          this.conversations.set(c.id, c);
          this.unreadChats += (c.unreadCount > 0 ? 1 : 0) - (prev && prev.unreadCount > 0 ? 1 : 0);
        }
        // Keyset pages can repeat an item that moved while the user scrolled.
        if (!known.has(c.id)) {
          known.add(c.id);
          ids.push(c.id);
        }
      }
      this.list = { ...this.list, ids, nextCursor: page.nextCursor, loading: false, loaded: true };
    } catch (err) {
      if (token !== this.listToken) return;
      this.list = { ...this.list, loading: false, error: err };
    }
    this.emit();
  }

  /** An opened conversation that the list has not loaded (a link, a reload on /c/:id). */
  async ensureConversation(id: string): Promise<void> {
    if (this.conversations.has(id) || this.pendingConversationFetches.has(id)) return;
    this.pendingConversationFetches.add(id);
    try {
      this.upsertConversation(await api.conversation(id));
    } catch (err) {
      this.threads.set(id, { ...this.getThread(id), error: err });
      this.emit();
    } finally {
      this.pendingConversationFetches.delete(id);
    }
  }

  async markRead(id: string): Promise<void> {
    const c = this.conversations.get(id);
    if (!c || c.unreadCount === 0 || this.keptUnread.has(id)) return;
    // Shown read at once; the server's answer (a higher seq) confirms it.
    this.conversations.set(id, { ...c, unreadCount: 0 });
    this.unreadChats -= 1;
    this.emit();
    try {
      const updated = await api.markRead(id);
      if (updated && typeof updated === 'object' && 'id' in updated) this.upsertConversation(updated);
    } catch {
      /* the next conversation:updated says how it really stands */
    }
  }

  // ---- messages ----

  private applyMessageChange(change: MessageChangeDto): boolean {
    return this.updateHeldCopies(change).changed;
  }

  /**
   * Applies a newer copy of a message, whole or only what changed, where the panel already holds
   * it: its conversation's preview, and its bubble in a loaded chat. `held`: the chat has the bubble.
   */
  private updateHeldCopies(m: MessageChangeDto | MessageDto): { changed: boolean; held: boolean } {
    this.seen(m.seq);
    let changed = false;

    const c = this.conversations.get(m.conversationId);
    if (c?.lastMessage?.id === m.id && c.lastMessage.seq < m.seq) {
      this.conversations.set(c.id, { ...c, lastMessage: { ...c.lastMessage, ...m } });
      changed = true;
    }

    const thread = this.threads.get(m.conversationId);
    const at = thread?.loaded ? thread.messages.findIndex((x) => x.id === m.id) : -1;
    if (!thread || at === -1) return { changed, held: false };
    const held = thread.messages[at]!;
    if (held.seq > m.seq) return { changed, held: true };
    const next = thread.messages.slice();
    next[at] = { ...held, ...m };
    if ('createdAt' in m && held.createdAt !== m.createdAt) this.sortServerPart(next);
    this.threads.set(m.conversationId, { ...thread, messages: next });
    return { changed: true, held: true };
  }

  private putMessage(m: MessageDto): boolean {
    const { changed, held } = this.updateHeldCopies(m);
    const thread = this.threads.get(m.conversationId);
    if (held || !thread?.loaded) return changed;
    const messages = thread.messages;

    const firstLocal = messages.findIndex((x) => x.local);
    const serverEnd = firstLocal === -1 ? messages.length : firstLocal;
    // Older than the oldest loaded page: it will come with that page.
    if (thread.olderCursor !== null && serverEnd > 0 && chatOrder(m, messages[0]!) < 0) return changed;

    const next = messages.slice();
    const mine = m.direction === 'outbound' && m.source === 'panel' && (m.sentBy === null || m.sentBy.id === this.me.id);
    if (mine) {
      // The server's row for one of our own sends: it takes the place of the clock bubble.
      const twin = next.findIndex((x) => x.local && (m.contentSid ? x.contentSid === m.contentSid : x.body === m.body && !x.contentSid));
      if (twin !== -1) next.splice(twin, 1);
    }
    let to = serverEnd;
    while (to > 0 && chatOrder(m, next[to - 1]!) < 0) to--;
    next.splice(to, 0, m);
    this.threads.set(m.conversationId, { ...thread, messages: next });
    return true;
  }

  private sortServerPart(messages: ChatMessage[]): void {
    const server = messages.filter((x) => !x.local).sort(chatOrder);
    const local = messages.filter((x) => x.local);
    messages.splice(0, messages.length, ...server, ...local);
  }

  upsertMessage(m: MessageDto): void {
    if (this.putMessage(m)) this.emit();
  }

  // ---- internal notes ----

  /** A note of a loaded chat (its event, our own POST's answer, a catch-up): added once, in time order. */
  private putNote(n: NoteDto): boolean {
    this.seen(n.seq);
    const thread = this.threads.get(n.conversationId);
    if (!thread?.loaded || thread.notes.some((x) => x.id === n.id)) return false;
    // Older than the oldest loaded page: it will come with that page.
    const oldest = thread.messages.find((m) => !m.local);
    if (thread.olderCursor !== null && oldest && chatOrder(n, oldest) < 0) return false;
    const notes = [...thread.notes, n].sort(chatOrder);
    this.threads.set(n.conversationId, { ...thread, notes });
    return true;
  }

  upsertNote(n: NoteDto): void {
    if (this.putNote(n)) this.emit();
  }

  async addNote(conversationId: string, body: string): Promise<void> {
    this.upsertNote(await api.addNote(conversationId, body));
  }

  // ---- the chat on screen ----

  /** How the store tells the server which chat's message events it wants (the realtime hook sets it). */
  setWatchChannel(tell: (conversationId: string | null) => Promise<void>): void {
    this.tellServerWatching = tell;
  }

  getWatched = (): string | null => this.watched;

  /**
   * The chat opened: its message events are asked for first, then its newest page is loaded, so
   * nothing written in between is missed. A chat opened before is loaded again, since its events
   * stopped while it was closed (this panel's unconfirmed sends stay).
   */
  async watch(id: string): Promise<void> {
    this.watched = id;
    this.keptUnread.delete(id);
    await this.tellServerWatching(id).catch(() => {
      /* offline: the realtime hook asks again on connect and catches up */
    });
    if (this.watched !== id) return;
    await this.openThread(id, { refresh: true });
  }

  unwatch(id: string): void {
    if (this.watched !== id) return;
    this.watched = null;
    void this.tellServerWatching(null).catch(() => {});
  }

  async openThread(id: string, o: { refresh?: boolean } = {}): Promise<void> {
    const thread = this.getThread(id);
    if (thread.loading || (thread.loaded && !o.refresh)) return;
    this.threads.set(id, { ...thread, loading: true, error: null });
    this.emit();
    try {
      const page = await api.messages(id, {});
      page.items.forEach((m) => this.seen(m.seq));
      // Events that raced the first page are in neither order nor page: the page is the truth.
      const unconfirmed = this.getThread(id).messages.filter((m) => m.local);
      this.threads.set(id, { ...EMPTY_THREAD, messages: [...messagesOf(page.items), ...unconfirmed], notes: notesOf(page.items), olderCursor: page.nextCursor, loaded: true });
    } catch (err) {
      this.threads.set(id, { ...this.getThread(id), loading: false, error: err });
    }
    this.emit();
  }

  loadOlder(id: string, limit?: number): Promise<void> {
    const inFlight = this.olderLoads.get(id);
    if (inFlight) return inFlight;
    const thread = this.getThread(id);
    if (!thread.loaded || thread.olderCursor === null) return Promise.resolve();
    const load = this.fetchOlder(id, thread, limit).finally(() => this.olderLoads.delete(id));
    this.olderLoads.set(id, load);
    return load;
  }

  private async fetchOlder(id: string, thread: Thread, limit: number | undefined): Promise<void> {
    this.threads.set(id, { ...thread, loadingOlder: true, error: null });
    this.emit();
    try {
      const page = await api.messages(id, { cursor: thread.olderCursor, limit });
      const current = this.getThread(id);
      const have = new Set([...current.messages, ...current.notes].map((m) => m.id));
      page.items.forEach((m) => this.seen(m.seq));
      const older = page.items.filter((m) => !have.has(m.id));
      this.threads.set(id, {
        ...current, messages: [...messagesOf(older), ...current.messages], notes: [...notesOf(older), ...current.notes],
        olderCursor: page.nextCursor, loadingOlder: false,
      });
    } catch (err) {
      this.threads.set(id, { ...this.getThread(id), loadingOlder: false, error: err });
    }
    this.emit();
  }

  // ---- a search hit's message ----

  getFocus = () => this.focus;

  /** A search hit chosen: its chat, once open, shows that message. */
  focusMessage(conversationId: string, messageId: string): void {
    this.focus = { conversationId, messageId };
    this.emit();
  }

  clearFocus(): void {
    if (!this.focus) return;
    this.focus = null;
    this.emit();
  }

  /**
   * Loads older pages of a loaded chat until `messageId` is in it, at most REVEAL_PAGES pages of
   * REVEAL_PAGE_SIZE: whether it is there now.
   */
  async reveal(id: string, messageId: string): Promise<boolean> {
    const holds = () => this.getThread(id).messages.some((m) => m.id === messageId);
    for (let i = 0; i < REVEAL_PAGES && !holds(); i++) {
      const thread = this.getThread(id);
      if (!thread.loaded || thread.olderCursor === null || thread.error !== null) break;
      await this.loadOlder(id, REVEAL_PAGE_SIZE);
    }
    return holds();
  }

  // ---- sending ----

  /** Sends from the panel: a clock bubble at once, replaced by the server's row when it comes. */
  async send(conversationId: string, out: Outgoing, previewBody: string): Promise<void> {
    const localId = `local-${++localCounter}`;
    const now = new Date().toISOString();
    const local: ChatMessage = {
      kind: 'message', id: localId, sid: null, conversationId, direction: 'outbound', source: 'panel', capturedVia: 'send', status: 'queued',
      body: previewBody, bodyPending: false, media: [],
      contentSid: 'contentSid' in out ? out.contentSid : null,
      contentVariables: 'contentSid' in out ? out.contentVariables : null,
      errorCode: null, errorMessage: null, sentBy: { id: this.me.id, name: this.me.name },
      replyToSid: null, buttonPayload: null, location: null, createdAt: now,
      sentAt: null, deliveredAt: null, readAt: null, failedAt: null, seq: 0,
      local: { state: 'sending', error: null },
    };
    const thread = this.getThread(conversationId);
    this.threads.set(conversationId, { ...thread, messages: [...thread.messages, local] });
    this.emit();
    try {
      const sent = await api.send(conversationId, out);
      this.dropLocal(conversationId, localId);
      this.putMessage(sent);
      this.emit();
    } catch (err) {
      // A Twilio refusal has a failed row that the events bring (and that replaces our bubble);
      // until then, or when the server could not be reached, our bubble says why.
      if (isReturnedToSender(err)) {
        if (this.dropLocal(conversationId, localId)) this.emit();
      } else {
        this.updateLocal(conversationId, localId, { state: 'failed', error: err });
      }
      throw err;
    }
  }

  /** A file with an optional caption; the bubble appears once the server has it (the preview shows the upload until then). */
  async sendFile(conversationId: string, file: File, caption: string, onProgress: (fraction: number) => void): Promise<void> {
    const sent = await api.sendFile(conversationId, file, caption, onProgress);
    this.putMessage(sent);
    this.emit();
  }

  discardLocal(conversationId: string, localId: string): void {
    if (this.dropLocal(conversationId, localId)) this.emit();
  }

  private dropLocal(conversationId: string, localId: string): boolean {
    const thread = this.getThread(conversationId);
    const next = thread.messages.filter((m) => m.id !== localId);
    if (next.length === thread.messages.length) return false;
    this.threads.set(conversationId, { ...thread, messages: next });
    return true;
  }

  private updateLocal(conversationId: string, localId: string, local: LocalSend): void {
    const thread = this.getThread(conversationId);
    const at = thread.messages.findIndex((m) => m.id === localId);
    if (at === -1) return;
    const next = thread.messages.slice();
    next[at] = { ...next[at]!, local, status: local.state === 'failed' ? 'failed' : 'queued' };
    this.threads.set(conversationId, { ...thread, messages: next });
    this.emit();
  }

  // ---- catching up after a reconnect ----

  /** Merges everything written since the highest seq seen; concurrent calls share one run. */
  catchUp(): Promise<void> {
    if (this.catchingUp) {
      this.catchUpAgain = true;
      return this.catchingUp;
    }
    this.catchingUp = (async () => {
      try {
        do {
          this.catchUpAgain = false;
          await this.catchUpOnce();
        } while (this.catchUpAgain);
      } finally {
        this.catchingUp = null;
      }
    })();
    return this.catchingUp;
  }

  private async catchUpOnce(): Promise<void> {
    // Seqs are taken when a write starts, so one can commit just after a higher one this panel
    // already saw; asking again from a little before covers it (what the panel has is kept by seq).
    let after = Math.max(0, this.lastSeq - CATCH_UP_OVERLAP);
    // Told once, at the end: the alerts sum up a burst rather than ring for each page.
    const arrivals: Arrival[] = [];
    const seenUpTo = this.lastSeq;
    try {
      await this.catchUpPages(after, arrivals, seenUpTo);
    } finally {
      this.tellArrivals(arrivals, 'catch-up');
    }
  }

  private async catchUpPages(after: number, arrivals: Arrival[], seenUpTo: number): Promise<void> {
    for (let page = 0; page < MAX_CATCH_UP_PAGES; page++) {
      const changes = await api.changes(after);
      after = changes.seq;
      for (const c of changes.conversations) this.putConversationNoting(c, arrivals, seenUpTo);
      for (const m of changes.messages) this.putMessage(m);
      for (const n of changes.notes ?? []) this.putNote(n);
      this.seen(changes.seq);
      this.emit();
      if (changes.conversations.length) this.refreshCounts();
      if (!changes.more) return;
    }
    this.reload();
  }

  /**
   * Start again from fresh pages: when far behind (rather than replaying thousands of changes), or
   * when nothing was seen to catch up from.
   */
  reload(): void {
    const { query, filter } = this.list;
    this.threads.clear();
    this.list = { ...EMPTY_LIST, query, filter };
    this.emit();
    void this.loadConversations();
  }
}
