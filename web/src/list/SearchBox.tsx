import { useEffect, useId, useRef, useState } from 'react';
import { useI18n } from '../i18n/I18nProvider.tsx';

const DEBOUNCE_MS = 300;

/** Search by name, phone or text; the server searches, after the user pauses typing. */
export function SearchBox({ onSearch, onArrowDown }: { onSearch(q: string): void; onArrowDown(): void }) {
  const { t } = useI18n();
  const [value, setValue] = useState('');
  const id = useId();
  const first = useRef(true);
  const latest = useRef(onSearch);
  latest.current = onSearch;

  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const timer = setTimeout(() => latest.current(value), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [value]);

  return (
    <div className="search" role="search">
      <label htmlFor={id} className="visually-hidden">{t('list.search')}</label>
      <input
        id={id}
        type="search"
        value={value}
        placeholder={t('list.search')}
        onChange={(e) => setValue(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            onArrowDown();
          } else if (e.key === 'Escape' && value) {
            e.preventDefault();
            setValue('');
          }
        }}
        data-testid="conversation-search"
        autoComplete="off"
      />
    </div>
  );
}
