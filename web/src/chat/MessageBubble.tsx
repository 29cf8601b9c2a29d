import { memo } from 'react';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { describeApiError, describeTwilioError, formatClock, formatFullDate, missingTextKey } from '../i18n/format.ts';
import type { ChatMessage } from '../inbox/inboxStore.ts';
import { LinkifiedText } from './LinkifiedText.tsx';
import { MessageMedia } from './MessageMedia.tsx';
import { Ticks, tickKind } from './Ticks.tsx';

interface Props {
  message: ChatMessage;
  /** The text of the message this one answers, when it is loaded. */
  quoted: string | null;
  /** The first of a run of messages sent from outside: the only one that spells out what that means. */
  explainExternal: boolean;
  onDiscard(message: ChatMessage): void;
  /** Sends a failed message's content again as a new message (the failed one stays). */
  onResend(message: ChatMessage): void;
  /** The message a search hit opened the chat at: marked until another is chosen. */
  focused?: boolean;
}

function SourceLabel({ message }: { message: ChatMessage }) {
  const { t } = useI18n();
  if (message.direction !== 'outbound') return null;
  if (message.source === 'external') {
    return <div className="source source-external" data-testid="message-source" title={t('msg.externalHint')}>{t('msg.external')}</div>;
  }
  return <div className="source" data-testid="message-source">{message.sentBy?.name ?? t('msg.agent')}</div>;
}

function Body({ message }: { message: ChatMessage }) {
  const { t } = useI18n();
  if (message.bodyPending && !message.body) {
    return <p className="body body-pending" data-testid="body-pending">{t('msg.bodyPending')}</p>;
  }
  if (message.body) return <p className="body" data-testid="message-body"><LinkifiedText text={message.body} /></p>;
  if (message.media.length > 0 || message.location) return null;
  return <p className="body body-empty" data-testid="message-body">{t(missingTextKey(message))}</p>;
}

function ErrorLine({ message }: { message: ChatMessage }) {
  const { t, lang } = useI18n();
  if (message.local?.state === 'failed') {
    return <p className="msg-error" data-testid="message-error" role="alert">{t('msg.sendFailed', { reason: describeApiError(message.local.error, lang, t) })}</p>;
  }
  const kind = tickKind(message.status);
  if (kind === 'canceled') return <p className="msg-error" data-testid="message-error">{t('msg.canceled')}</p>;
  if (kind !== 'failed') return null;
  const reason = describeTwilioError(message.errorCode, message.errorMessage, lang) ?? t('msg.failedUnknown');
  return <p className="msg-error" data-testid="message-error">{reason}</p>;
}

/** One message. Memoized: an event re-renders only the bubble whose message changed. */
export const MessageBubble = memo(function MessageBubble({ message, quoted, explainExternal, onDiscard, onResend, focused = false }: Props) {
  const { t, locale } = useI18n();
  const out = message.direction === 'outbound';
  const external = message.source === 'external';
  return (
    <div
      className={`msg-row ${out ? 'out' : 'in'}${focused ? ' focused' : ''}`}
      data-testid="message-bubble"
      data-focused={focused ? 'true' : undefined}
      data-message-id={message.id}
      data-direction={message.direction}
      data-status={message.status}
      data-source={message.source}
      data-captured-via={message.capturedVia}
      data-local={message.local ? message.local.state : undefined}
    >
      <div className={`bubble${external ? ' bubble-external' : ''}${tickKind(message.status) === 'failed' ? ' bubble-failed' : ''}`}>
        <SourceLabel message={message} />
        {quoted !== null && (
          <blockquote className="quote" data-testid="message-quote">
            <span className="visually-hidden">{t('msg.replyTo')} </span>
            {quoted}
          </blockquote>
        )}
        <MessageMedia media={message.media} />
        <Body message={message} />
        {message.location && (
          <p className="location">
            <span aria-hidden="true">📍 </span>
            {message.location.label ?? message.location.address ?? t('msg.location')}{' '}
            <a
              href={`https://www.openstreetmap.org/?mlat=${message.location.latitude}&mlon=${message.location.longitude}#map=17/${message.location.latitude}/${message.location.longitude}`}
              target="_blank"
              rel="noopener noreferrer"
            >
              {t('msg.openMap')}
            </a>
          </p>
        )}
        {message.buttonPayload && message.buttonPayload !== message.body && (
          <p className="button-payload">{t('msg.button', { payload: message.buttonPayload })}</p>
        )}
        <div className="meta">
          <time dateTime={message.createdAt} title={formatFullDate(message.createdAt, locale)} data-testid="message-time">
            {formatClock(message.createdAt, locale)}
          </time>
          {out && <Ticks status={message.status} />}
        </div>
        <ErrorLine message={message} />
        {message.local?.state === 'failed' && (
          <button type="button" className="link-button" onClick={() => onDiscard(message)} data-testid="message-discard">
            {t('msg.discard')}
          </button>
        )}
        {out && !message.local && tickKind(message.status) === 'failed' && (message.body || message.contentSid) && (
          <button type="button" className="link-button" onClick={() => onResend(message)} data-testid="message-resend">
            {t('msg.resend')}
          </button>
        )}
        {external && explainExternal && <p className="external-hint" data-testid="external-hint">{t('msg.externalHint')}</p>}
      </div>
    </div>
  );
});
