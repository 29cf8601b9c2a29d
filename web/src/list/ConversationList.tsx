import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useNow } from '../components/useNow.ts';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { describeApiError } from '../i18n/format.ts';
import { useConversationList, useInboxStore } from '../inbox/useInbox.ts';
import { conversationPath, navigate } from '../router.ts';
import { ConversationItem, ROW_HEIGHT } from './ConversationItem.tsx';
import { NewChatButton } from '../newchat/NewChatButton.tsx';
import { ListFilters } from './ListFilters.tsx';
import { MessageHits } from './MessageHits.tsx';
import { SearchBox } from './SearchBox.tsx';

const OVERSCAN = 6;
/** Fetch the next page when the user gets this close (in rows) to the end. */
const PREFETCH_ROWS = 20;

/**
 * The conversation list, windowed: only the rows on screen are in the DOM, so scrolling through
 * 10,000 conversations costs the same as through 50. Keyboard: a listbox (arrows, Home/End,
 * Page Up/Down, Enter opens).
 */
export function ConversationList({ selectedId, defaultCountry }: { selectedId: string | null; defaultCountry: string }) {
  const store = useInboxStore();
  const list = useConversationList();
  const { t, lang } = useI18n();
  const now = useNow(60_000);
  const viewport = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const [active, setActive] = useState(-1);
  // While searching: the chats that match, or the messages that do.
  const [searchView, setSearchView] = useState<'chats' | 'messages'>('chats');
  const showingMessages = list.query !== '' && searchView === 'messages';
  const { ids } = list;

  useEffect(() => {
    if (!list.loaded && !list.loading && list.error === null) void store.loadConversations();
  }, [store, list.loaded, list.loading, list.error]);

  useLayoutEffect(() => {
    const el = viewport.current;
    if (!el) return;
    setHeight(el.clientHeight);
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  // A new search or filter starts at the top.
  useEffect(() => {
    if (viewport.current) viewport.current.scrollTop = 0;
    setScrollTop(0);
    setActive(-1);
  }, [list.query, list.filter]);

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(ids.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);

  useEffect(() => {
    if (list.loaded && list.nextCursor !== null && !list.loading && list.error === null && last >= ids.length - PREFETCH_ROWS) {
      void store.loadConversations();
    }
  }, [store, list.loaded, list.nextCursor, list.loading, list.error, last, ids.length]);

  const open = useCallback((id: string, index: number) => {
    setActive(index);
    navigate(conversationPath(id));
  }, []);

  function moveTo(index: number) {
    if (ids.length === 0) return;
    const i = Math.max(0, Math.min(ids.length - 1, index));
    setActive(i);
    const el = viewport.current!;
    const top = i * ROW_HEIGHT;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW_HEIGHT > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW_HEIGHT - el.clientHeight;
  }

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    const page = Math.max(1, Math.floor(height / ROW_HEIGHT) - 1);
    const current = active >= 0 ? active : Math.max(0, ids.indexOf(selectedId ?? ''));
    const moves: Record<string, number> = {
      ArrowDown: current + (active >= 0 ? 1 : 0), ArrowUp: current - 1, Home: 0, End: ids.length - 1, PageDown: current + page, PageUp: current - page,
    };
    if (e.key in moves) {
      e.preventDefault();
      moveTo(moves[e.key]!);
    } else if ((e.key === 'Enter' || e.key === ' ') && ids[current]) {
      e.preventDefault();
      open(ids[current]!, current);
    }
  }

  const rendered: number[] = [];
  for (let i = first; i < last; i++) rendered.push(i);
  // The keyboard's row stays in the DOM even when scrolled away (aria-activedescendant points at it).
  if (active >= 0 && active < ids.length && (active < first || active >= last)) rendered.push(active);
  const activeId = active >= 0 ? ids[active] : undefined;

  return (
    <section className="sidebar" aria-label={t('list.label')}>
      <div className="list-header">
        <SearchBox
          onSearch={(q) => store.setQuery(q)}
          onArrowDown={() => {
            viewport.current?.focus();
            moveTo(0);
          }}
        />
        <NewChatButton defaultCountry={defaultCountry} />
      </div>
      {list.query !== '' && (
        <div className="search-view" role="group" aria-label={t('search.view')}>
          {(['chats', 'messages'] as const).map((v) => (
            <button
              key={v} type="button" className="chip" aria-pressed={searchView === v} onClick={() => setSearchView(v)} data-testid={`search-view-${v}`}
            >
              {t(v === 'chats' ? 'search.chats' : 'search.messages')}
            </button>
          ))}
        </div>
      )}
      {showingMessages ? <MessageHits query={list.query} /> : <ListFilters />}
      <div
        hidden={showingMessages}
        ref={viewport}
        className="conversation-viewport"
        role="listbox"
        tabIndex={0}
        aria-label={t('list.label')}
        aria-activedescendant={activeId ? `conversation-${activeId}` : undefined}
        aria-busy={list.loading}
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
        onKeyDown={onKeyDown}
        onFocus={() => active < 0 && ids.length > 0 && setActive(Math.max(0, ids.indexOf(selectedId ?? '')))}
        data-testid="conversation-list"
        data-count={ids.length}
        data-loading={list.loading ? 'true' : 'false'}
      >
        <div className="conversation-canvas" style={{ height: ids.length * ROW_HEIGHT }}>
          {rendered.map((i) => (
            <ConversationItem
              key={ids[i]}
              id={ids[i]!}
              index={i}
              total={list.nextCursor === null ? ids.length : -1}
              selected={ids[i] === selectedId}
              active={i === active}
              now={now}
              onOpen={open}
            />
          ))}
        </div>
        {list.loaded && ids.length === 0 && (
          <p className="list-note" data-testid="conversation-list-empty">
            {list.query ? t('list.noResults', { q: list.query }) : t(list.filter.assignee === 'all' && list.filter.status === 'open' && !list.filter.unread ? 'list.empty' : 'list.emptyFiltered')}
          </p>
        )}
        {list.loading && <p className="list-note" role="status">{list.loaded ? t('list.loadingMore') : t('loading')}</p>}
        {list.error !== null && (
          <p className="list-note form-error" role="alert">
            {describeApiError(list.error, lang, t)}{' '}
            <button type="button" className="link-button" onClick={() => void store.loadConversations()}>{t('retry')}</button>
          </p>
        )}
      </div>
    </section>
  );
}
