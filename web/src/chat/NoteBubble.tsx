import { memo } from 'react';
import type { NoteDto } from '../api/contract.ts';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { formatClock, formatFullDate } from '../i18n/format.ts';
import { LinkifiedText } from './LinkifiedText.tsx';

/** An internal note: yellow, across the chat, with who wrote it and when; the customer never sees it. */
export const NoteBubble = memo(function NoteBubble({ note }: { note: NoteDto }) {
  const { t, locale } = useI18n();
  return (
    <div className="note-row" data-testid="note-bubble" data-note-id={note.id}>
      <div className="note-bubble">
        <div className="note-label">
          <span aria-hidden="true">📝 </span>
          {t('note.label')} · <span data-testid="note-author">{note.author?.name ?? t('note.unknownAuthor')}</span>
        </div>
        <p className="body" data-testid="note-body"><LinkifiedText text={note.body} /></p>
        <div className="meta">
          <time dateTime={note.createdAt} title={formatFullDate(note.createdAt, locale)} data-testid="note-time">
            {formatClock(note.createdAt, locale)}
          </time>
        </div>
      </div>
    </div>
  );
});
