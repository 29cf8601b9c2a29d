import { useEffect, useRef } from 'react';
import { useI18n } from '../i18n/I18nProvider.tsx';
import type { QuickReplyPicker } from './useQuickReplyPicker.ts';

/** The composer's `/` list (a listbox the textarea controls; focus stays in the textarea). */
export function QuickReplyList({ picker }: { picker: QuickReplyPicker }) {
  const { t } = useI18n();
  const list = useRef<HTMLUListElement>(null);
  useEffect(() => {
    list.current?.querySelector<HTMLElement>('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
  }, [picker.active, picker.matches.length]);
  if (!picker.open) return null;
  return (
    <div className="quick-reply-popup" data-testid="quick-reply-list">
      {picker.matches.length > 0 && <ul ref={list} id={picker.listId} role="listbox" aria-label={t('quickReplies.listLabel')} className="quick-reply-list">
        {picker.matches.map((r, i) => (
          <li
            key={r.id}
            id={picker.optionId(i)}
            role="option"
            aria-selected={i === picker.active}
            className="quick-reply-option"
            data-testid="quick-reply-option"
            data-shortcut={r.shortcut}
            // Keeps the focus (and the caret) in the textarea.
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => picker.choose(r)}
          >
            <span className="quick-reply-shortcut">/{r.shortcut}</span>
            <span className="quick-reply-body">{picker.fill(r.body)}</span>
          </li>
        ))}
      </ul>}
      {picker.matches.length === 0 && <p className="quick-reply-empty" role="status">{t('quickReplies.noMatch')}</p>}
      <p className="quick-reply-hint" aria-hidden="true">{t('quickReplies.keysHint')}</p>
    </div>
  );
}
