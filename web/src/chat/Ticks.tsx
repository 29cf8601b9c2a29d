import type { MessageStatus } from '../api/contract.ts';
import { useI18n } from '../i18n/I18nProvider.tsx';
import type { MessageKey } from '../i18n/strings.ts';

export type TickKind = 'clock' | 'sent' | 'delivered' | 'read' | 'failed' | 'canceled' | 'none';

export function tickKind(status: MessageStatus): TickKind {
  switch (status) {
    case 'accepted':
    case 'scheduled':
    case 'queued':
    case 'sending':
      return 'clock';
    case 'sent':
      return 'sent';
    case 'delivered':
    case 'partially_delivered':
      return 'delivered';
    case 'read':
      return 'read';
    case 'failed':
    case 'undelivered':
      return 'failed';
    case 'canceled':
      return 'canceled';
    default:
      return 'none';
  }
}

const LABEL: Record<Exclude<TickKind, 'none'>, MessageKey> = {
  clock: 'status.clock', sent: 'status.sent', delivered: 'status.delivered', read: 'status.read', failed: 'status.failed', canceled: 'status.canceled',
};

const CHECK = 'M1.5 8.5 5 12l7.5-8';
const CHECK_2 = 'M8.3 10.8 9.5 12l7.5-8';

/** WhatsApp's delivery marks for an outgoing message: clock, one tick, two ticks, blue ticks, red mark. */
export function Ticks({ status }: { status: MessageStatus }) {
  const { t } = useI18n();
  const kind = tickKind(status);
  if (kind === 'none') return null;
  const label = t(LABEL[kind]);
  return (
    <span className={`ticks ticks-${kind}`} data-testid="message-ticks" data-kind={kind} role="img" aria-label={label} title={label}>
      <svg viewBox="0 0 18 16" width="18" height="16" aria-hidden="true" focusable="false">
        {kind === 'clock' && (
          <g fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round">
            <circle cx="9" cy="8" r="5.5" />
            <path d="M9 5v3.2l2 1.3" />
          </g>
        )}
        {kind === 'sent' && <path d={CHECK} fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" />}
        {(kind === 'delivered' || kind === 'read') && (
          <g fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round">
            <path d={CHECK} />
            <path d={CHECK_2} />
          </g>
        )}
        {kind === 'failed' && (
          <g>
            <circle cx="9" cy="8" r="6.5" fill="currentColor" />
            <path d="M9 4.5v4.2M9 10.8v.4" stroke="#fff" strokeWidth="1.8" strokeLinecap="round" />
          </g>
        )}
        {kind === 'canceled' && (
          <g fill="none" stroke="currentColor" strokeWidth="1.5">
            <circle cx="9" cy="8" r="5.5" />
            <path d="M5.2 11.8l7.6-7.6" />
          </g>
        )}
      </svg>
    </span>
  );
}
