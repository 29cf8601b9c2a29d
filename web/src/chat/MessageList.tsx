import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useNow } from '../components/useNow.ts';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { dayKey, dayLabel, describeApiError } from '../i18n/format.ts';
import type { NoteDto } from '../api/contract.ts';
import type { ChatMessage } from '../inbox/inboxStore.ts';
import { useFocusedMessage, useInboxStore, useThread } from '../inbox/useInbox.ts';
import { ImageViewerProvider } from './ImageViewer.tsx';
import { MessageBubble } from './MessageBubble.tsx';
import { NoteBubble } from './NoteBubble.tsx';

const NEAR_BOTTOM_PX = 80;
const LOAD_OLDER_PX = 400;

interface ScrollMemory {
  conversationId: string;
  loaded: boolean;
  first: string | null;
  last: string | null;
  height: number;
}

/**
 * The chat's bubbles with day separators. Opens at the newest message, loads older pages when
 * scrolled near the top without moving what is on screen, and follows new messages only when the
 * reader is already at the bottom (otherwise a button offers to jump).
 */
export function MessageList({ conversationId, meId, label }: { conversationId: string; meId: string; label: string }) {
  const store = useInboxStore();
  const thread = useThread(conversationId);
  const { t, lang, locale } = useI18n();
  const now = useNow(60_000);
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const memory = useRef<ScrollMemory | null>(null);
  const [unseen, setUnseen] = useState(0);
  // Notes go between the server's messages by time; this panel's unconfirmed sends stay last.
  const messages = useMemo(() => {
    if (!thread.notes.length) return thread.messages;
    const firstLocal = thread.messages.findIndex((m) => m.local);
    const server = firstLocal === -1 ? thread.messages : thread.messages.slice(0, firstLocal);
    const merged: (ChatMessage | NoteDto)[] = [...server, ...thread.notes].sort(
      (a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
    return firstLocal === -1 ? merged : [...merged, ...thread.messages.slice(firstLocal)];
  }, [thread.messages, thread.notes]);

  // The viewer steps through the chat's loaded images in time order.
  const images = useMemo(
    () => messages.flatMap((m) => (m.kind === 'note' ? [] : m.media.filter((x) => x.url !== null && x.contentType?.startsWith('image/')).map((x) => x.url!))),
    [messages],
  );

  const textBySid = useMemo(() => {
    const m = new Map<string, string>();
    for (const x of thread.messages) if (x.sid && x.body) m.set(x.sid, x.body);
    return m;
  }, [thread.messages]);

  const onDiscard = useCallback((m: ChatMessage) => store.discardLocal(m.conversationId, m.id), [store]);
  const onResend = useCallback((m: ChatMessage) => {
    const out = m.contentSid ? { contentSid: m.contentSid, contentVariables: m.contentVariables ?? {} } : { body: m.body ?? '' };
    // A refusal shows as the new bubble's error (or goes back to the composer's rules, e.g. a closed window).
    store.send(m.conversationId, out, m.body ?? '').catch(() => {});
  }, [store]);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const first = messages[0]?.id ?? null;
    const last = messages[messages.length - 1]?.id ?? null;
    const prev = memory.current;
    if (!prev || prev.conversationId !== conversationId || (!prev.loaded && thread.loaded)) {
      el.scrollTop = el.scrollHeight;
      atBottom.current = true;
      setUnseen(0);
    } else {
      const at = prev.first === null || first === prev.first ? -1 : messages.findIndex((m) => m.id === prev.first);
      // An older page went in above: keep the same bubbles on screen.
      if (at > 0) el.scrollTop += el.scrollHeight - prev.height;
      if (last !== prev.last && last !== null) {
        const newest = messages[messages.length - 1]!;
        const mine = newest.kind === 'note'
          ? newest.author?.id === meId
          : newest.local !== undefined || (newest.direction === 'outbound' && newest.source === 'panel' && newest.sentBy?.id === meId);
        if (atBottom.current || mine) {
          el.scrollTop = el.scrollHeight;
          atBottom.current = true;
        } else if (at <= 0) {
          setUnseen((n) => n + 1);
        }
      } else if (atBottom.current) {
        // A bubble grew (its text arrived, an error line): stay at the bottom.
        el.scrollTop = el.scrollHeight;
      }
    }
    memory.current = { conversationId, loaded: thread.loaded, first, last, height: el.scrollHeight };
    // A short first page that does not fill the pane: fetch more right away.
    if (thread.loaded && thread.olderCursor !== null && !thread.loadingOlder && el.scrollHeight <= el.clientHeight + LOAD_OLDER_PX) {
      queueMicrotask(() => void store.loadOlder(conversationId));
    }
  });

  // A search hit opened this chat at one of its messages: load back to it, then centre and mark it.
  const focusId = useFocusedMessage(conversationId);
  const [focused, setFocused] = useState<{ id: string; found: boolean } | null>(null);
  const settled = thread.loaded && !thread.loading;
  useEffect(() => {
    if (!focusId || !settled) return;
    let current = true;
    void store.reveal(conversationId, focusId).then((found) => {
      if (!current) return;
      store.clearFocus();
      setFocused({ id: focusId, found });
    });
    return () => {
      current = false;
    };
  }, [store, conversationId, focusId, settled]);
  useLayoutEffect(() => {
    if (!focused?.found) return;
    const el = scroller.current?.querySelector(`[data-message-id="${CSS.escape(focused.id)}"]`);
    if (!el) return;
    el.scrollIntoView({ block: 'center' });
    atBottom.current = false;
  }, [focused]);
  useEffect(() => setFocused(null), [conversationId]);

  function onScroll() {
    const el = scroller.current!;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
    if (atBottom.current && unseen) setUnseen(0);
    if (el.scrollTop < LOAD_OLDER_PX) void store.loadOlder(conversationId);
  }

  function jumpToLatest() {
    const el = scroller.current!;
    el.scrollTop = el.scrollHeight;
    atBottom.current = true;
    setUnseen(0);
  }

  const rows: ReactNode[] = [];
  let previousDay = '';
  let previousExternal = false;
  for (const m of messages) {
    const date = new Date(m.createdAt);
    const day = dayKey(date);
    if (day !== previousDay) {
      previousDay = day;
      previousExternal = false;
      rows.push(
        <div className="day-separator" key={`day-${day}`} data-testid="day-separator" data-day={day} role="separator">
          <span>{dayLabel(date, now, t, locale)}</span>
        </div>,
      );
    }
    if (m.kind === 'note') {
      rows.push(<NoteBubble key={m.id} note={m} />);
      continue;
    }
    // What "sent from outside" means is said under the first bubble of a run (a campaign sends
    // many in a row); the others keep it as the label's tooltip.
    const external = m.source === 'external';
    rows.push(
      <MessageBubble
        key={m.id} message={m} quoted={m.replyToSid ? (textBySid.get(m.replyToSid) ?? null) : null}
        explainExternal={external && !previousExternal} onDiscard={onDiscard} onResend={onResend}
        focused={focused?.found === true && focused.id === m.id}
      />,
    );
    previousExternal = external;
  }

  return (
    <ImageViewerProvider images={images}>
      <div className="messages-pane">
        {thread.loadingOlder && (
          <p className="loading-older" data-testid="loading-older" role="status">{t('chat.loadingOlder')}</p>
        )}
        <div className="messages" ref={scroller} onScroll={onScroll} role="log" aria-label={label} tabIndex={0} data-testid="message-list">
          {!thread.loaded && thread.loading && <p className="chat-note">{t('loading')}</p>}
          {thread.error !== null && (
            <p className="chat-note form-error" role="alert">
              {describeApiError(thread.error, lang, t)}{' '}
              <button type="button" className="link-button" onClick={() => void (thread.loaded ? store.loadOlder(conversationId) : store.openThread(conversationId))}>
                {t('retry')}
              </button>
            </p>
          )}
          {thread.loaded && thread.olderCursor === null && messages.length > 0 && <p className="chat-note">{t('chat.start')}</p>}
          {thread.loaded && messages.length === 0 && <p className="chat-note">{t('chat.empty')}</p>}
          {focused && !focused.found && <p className="chat-note" role="status" data-testid="focus-not-loaded">{t('search.notLoaded')}</p>}
          {rows}
        </div>
        {unseen > 0 && (
          <button type="button" className="jump-to-latest" onClick={jumpToLatest} data-testid="jump-to-latest">
            {t('chat.jumpToLatest')} ({unseen})
          </button>
        )}
      </div>
    </ImageViewerProvider>
  );
}
