import { memo } from 'react';
import type { MessageDto } from '../api/contract.ts';
import { Avatar } from '../components/Avatar.tsx';
import { Ticks } from '../chat/Ticks.tsx';
import { useI18n } from '../i18n/I18nProvider.tsx';
import type { MessageKey } from '../i18n/strings.ts';
import { contactLabel, formatListTime, missingTextKey } from '../i18n/format.ts';
import { useConversation } from '../inbox/useInbox.ts';

export const ROW_HEIGHT = 72;

/** A message without text that carries media is previewed by the kind of its first item, as WhatsApp does. */
function mediaPreview(contentType: string | null, t: (key: MessageKey) => string): string {
  const type = contentType ?? '';
  if (type.startsWith('image/')) return `📷 ${t('preview.image')}`;
  if (type.startsWith('video/')) return `🎥 ${t('preview.video')}`;
  if (type.startsWith('audio/')) return `🎤 ${t('preview.audio')}`;
  if (type === 'application/pdf' || type === 'text/plain' || /^application\/(msword|vnd\.ms-|vnd\.openxmlformats-officedocument\.)/.test(type)) return `📄 ${t('preview.document')}`;
  return `📎 ${t('preview.file')}`;
}

function Preview({ message }: { message: MessageDto | null }) {
  const { t } = useI18n();
  if (!message) return <span className="preview-text">{t('list.noMessages')}</span>;
  let text: string;
  if (message.body) text = message.body;
  else if (message.bodyPending) text = t('msg.bodyPending');
  else if (message.media.length > 0) text = mediaPreview(message.media[0]!.contentType, t);
  else if (message.location) text = `📍 ${t('preview.location')}`;
  else text = t(missingTextKey(message));
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
