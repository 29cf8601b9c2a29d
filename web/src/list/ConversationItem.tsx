import { memo } from 'react';
import type { MessageDto } from '../api/contract.ts';
import { Avatar } from '../components/Avatar.tsx';
import { Ticks } from '../chat/Ticks.tsx';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { contactLabel, formatListTime, previewText } from '../i18n/format.ts';
import { useConversation } from '../inbox/useInbox.ts';
import { SenderTag } from '../senders/SenderTag.tsx';

export const ROW_HEIGHT = 72;

function Preview({ message }: { message: MessageDto | null }) {
  const { t } = useI18n();
  if (!message) return <span className="preview-text">{t('list.noMessages')}</span>;
  const text = previewText(message, t);
  return (
    <>
      {message.direction === 'outbound' && <Ticks status={message.status} />}
      {message.source === 'external' && <span className="preview-source">{t('msg.external')}: </span>}
      <span className="preview-text">{text}</span>
    </>
  );
}

interface Props {
  id: string;
  index: number;
  total: number;
  selected: boolean;
  active: boolean;
  now: Date;
  onOpen(id: string, index: number): void;
}

/** One row of the list; reads its own conversation, so an event re-renders this row alone. */
export const ConversationItem = memo(function ConversationItem({ id, index, total, selected, active, now, onOpen }: Props) {
  const { t, tn, locale } = useI18n();
  const c = useConversation(id);
  if (!c) return null;
  const name = contactLabel(c.contact);
  return (
    <div
      id={`conversation-${id}`}
      role="option"
      aria-selected={selected}
      aria-posinset={index + 1}
      aria-setsize={total}
      className={`conversation-item${selected ? ' selected' : ''}${active ? ' active' : ''}${c.unreadCount > 0 ? ' unread' : ''}`}
      style={{ transform: `translateY(${index * ROW_HEIGHT}px)` }}
      onClick={() => onOpen(id, index)}
      data-testid="conversation-item"
      data-conversation-id={id}
      data-unread={c.unreadCount}
      data-index={index}
    >
      <Avatar name={c.contact.name} />
      <div className="conversation-main">
        <div className="conversation-top">
          <span className="conversation-name" data-testid="conversation-name">{name}</span>
          <SenderTag sender={c.sender} />
          {c.lastMessageAt && (
            <time className="conversation-time" dateTime={c.lastMessageAt} data-testid="conversation-time">
              {formatListTime(c.lastMessageAt, now, t, locale)}
            </time>
          )}
        </div>
        <div className="conversation-bottom">
          <span className="conversation-preview" data-testid="conversation-preview">
            <Preview message={c.lastMessage} />
          </span>
          {c.unreadCount > 0 && (
            <span className="unread-badge" data-testid="unread-badge" aria-label={tn('list.unread', c.unreadCount)}>
              {c.unreadCount > 99 ? '99+' : c.unreadCount}
            </span>
          )}
        </div>
      </div>
    </div>
  );
});
