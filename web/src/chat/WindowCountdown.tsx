import { useNow } from '../components/useNow.ts';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { formatDuration } from '../i18n/format.ts';

const HOUR = 3600_000;

/** Time left to answer with free text. Alone in its component so its ticking re-renders nothing else. */
export function WindowCountdown({ expiresAt }: { expiresAt: string }) {
  const { t } = useI18n();
  const now = useNow(1000);
  const left = Date.parse(expiresAt) - now.getTime();
  return (
    <p className={`window-countdown${left < HOUR ? ' window-closing' : ''}`} data-testid="window-countdown" data-expires-at={expiresAt}>
      {t('composer.windowLeft', { left: formatDuration(left, t) })}
    </p>
  );
}
