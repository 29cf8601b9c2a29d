import { useEffect, useSyncExternalStore } from 'react';
import type { ConversationCountsDto } from '../api/contract.ts';
import { useI18n } from '../i18n/I18nProvider.tsx';
import type { MessageKey } from '../i18n/strings.ts';
import { useConversationList, useInboxStore } from '../inbox/useInbox.ts';
import type { ListFilter } from '../inbox/listFilter.ts';
import { senderLabel } from '../senders/SenderTag.tsx';
import { useSenders } from '../senders/useSenders.ts';

interface Chip {
  key: keyof ConversationCountsDto;
  label: MessageKey;
  pressed(f: ListFilter): boolean;
  choose(f: ListFilter): ListFilter;
}

// Three groups: whose (one of three), which status (one of two), and unread (on or off).
const GROUPS: { label: MessageKey; chips: Chip[] }[] = [
  {
    label: 'filter.whose',
    chips: [
      { key: 'mine', label: 'filter.mine', pressed: (f) => f.assignee === 'me', choose: (f) => ({ ...f, assignee: 'me' }) },
      { key: 'unassigned', label: 'filter.unassigned', pressed: (f) => f.assignee === 'none', choose: (f) => ({ ...f, assignee: 'none' }) },
      { key: 'all', label: 'filter.all', pressed: (f) => f.assignee === 'all', choose: (f) => ({ ...f, assignee: 'all' }) },
    ],
  },
  {
    label: 'filter.state',
    chips: [
      { key: 'open', label: 'filter.open', pressed: (f) => f.status === 'open', choose: (f) => ({ ...f, status: 'open' }) },
      { key: 'resolved', label: 'filter.resolved', pressed: (f) => f.status === 'resolved', choose: (f) => ({ ...f, status: 'resolved' }) },
      { key: 'unread', label: 'filter.unread', pressed: (f) => f.unread, choose: (f) => ({ ...f, unread: !f.unread }) },
    ],
  },
];

/** The list's filter chips, each with the number of conversations it would show, kept live. */
export function ListFilters() {
  const store = useInboxStore();
  const { t } = useI18n();
  const { filter } = useConversationList();
  const counts = useSyncExternalStore(store.subscribe, store.getCounts);
  const senders = useSenders();

  useEffect(() => store.refreshCounts(), [store]);

  return (
    <div className="list-filters" data-testid="list-filters">
      {GROUPS.map((g) => (
        <div key={g.label} className="chip-group" role="group" aria-label={t(g.label)}>
          {g.chips.map((c) => (
            <button
              key={c.key}
              type="button"
              className="chip"
              aria-pressed={c.pressed(filter)}
              onClick={() => store.setFilter(c.choose(filter))}
              data-testid={`filter-${c.key}`}
            >
              {t(c.label)}
              <span className="chip-count" data-testid={`filter-${c.key}-count`}>{counts ? counts[c.key] : ''}</span>
            </button>
          ))}
        </div>
      ))}
      {senders.several && (
        <select
          className="sender-filter"
          aria-label={t('filter.sender')}
          value={filter.sender ?? ''}
          onChange={(e) => store.setFilter({ ...filter, sender: e.target.value || null })}
          data-testid="filter-sender"
        >
          <option value="">{t('filter.allSenders')}</option>
          {senders.items.map((s) => (
            <option key={s.id} value={s.id}>{senderLabel(s)}</option>
          ))}
        </select>
      )}
    </div>
  );
}
