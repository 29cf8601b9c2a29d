import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import type { MessageSearchHitDto } from '../api/contract.ts';
import { Avatar } from '../components/Avatar.tsx';
import { useNow } from '../components/useNow.ts';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { contactLabel, describeApiError, formatListTime } from '../i18n/format.ts';
import { useInboxStore } from '../inbox/useInbox.ts';
import { conversationPath, navigate } from '../router.ts';
import { matchRange, snippet } from './searchMatch.ts';

interface Hits {
  query: string;
  items: MessageSearchHitDto[];
  nextCursor: string | null;
  loading: boolean;
  error: unknown;
}

/**
 * The messages a search found, newest first, each with its chat and the words around the match;
 * choosing one opens its chat at that message.
 */
export function MessageHits({ query }: { query: string }) {
  const store = useInboxStore();
  const { t, lang, locale } = useI18n();
  const now = useNow(60_000);
  const [hits, setHits] = useState<Hits>({ query, items: [], nextCursor: null, loading: true, error: null });

  async function load(q: string, cursor: string | null, before: MessageSearchHitDto[]) {
    setHits({ query: q, items: before, nextCursor: cursor, loading: true, error: null });
    try {
      const page = await api.searchMessages(q, cursor);
      setHits((h) => (h.query === q ? { query: q, items: [...before, ...page.items], nextCursor: page.nextCursor, loading: false, error: null } : h));
    } catch (error) {
      setHits((h) => (h.query === q ? { ...h, loading: false, error } : h));
    }
  }

  useEffect(() => {
    void load(query, null, []);
  }, [query]);

  function open(hit: MessageSearchHitDto) {
    store.focusMessage(hit.conversation.id, hit.message.id);
    navigate(conversationPath(hit.conversation.id));
  }

  return (
    <div className="message-hits" data-testid="message-hits" aria-busy={hits.loading}>
      <ul>
        {hits.items.map((hit) => {
          const text = hit.message.body ?? '';
          const { head, match, tail } = snippet(text, matchRange(text, query));
          return (
            <li key={hit.message.id}>
              <button type="button" className="message-hit" onClick={() => open(hit)} data-testid="message-hit" data-message-id={hit.message.id}>
                <Avatar name={contactLabel(hit.conversation.contact)} />
                <span className="message-hit-main">
                  <span className="message-hit-top">
                    <span className="message-hit-name">{contactLabel(hit.conversation.contact)}</span>
                    <time dateTime={hit.message.createdAt}>{formatListTime(hit.message.createdAt, now, t, locale)}</time>
                  </span>
                  <span className="message-hit-text">{head}<mark>{match}</mark>{tail}</span>
                </span>
              </button>
            </li>
          );
        })}
      </ul>
      {!hits.loading && hits.error === null && hits.items.length === 0 && (
        <p className="list-note" data-testid="message-hits-empty">{t('search.noMessages', { q: query })}</p>
      )}
      {hits.loading && <p className="list-note" role="status">{t('loading')}</p>}
      {hits.error !== null && (
        <p className="list-note form-error" role="alert">
          {describeApiError(hits.error, lang, t)}{' '}
          <button type="button" className="link-button" onClick={() => void load(query, hits.nextCursor, hits.items)}>{t('retry')}</button>
        </p>
      )}
      {!hits.loading && hits.error === null && hits.nextCursor !== null && (
        <button type="button" className="link-button message-hits-more" onClick={() => void load(query, hits.nextCursor, hits.items)} data-testid="message-hits-more">
          {t('search.more')}
        </button>
      )}
    </div>
  );
}
