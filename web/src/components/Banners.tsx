import { useI18n } from '../i18n/I18nProvider.tsx';
import type { ConnectionState } from '../inbox/useRealtime.ts';

export function ConnectionBanner({ state }: { state: ConnectionState }) {
  const { t } = useI18n();
  if (state !== 'offline') return null;
  return (
    <div className="banner banner-offline" role="status" data-testid="connection-banner" data-state={state}>
      <span className="spinner" aria-hidden="true" />
      {t('banner.offline')}
    </div>
  );
}

export function DemoBanner() {
  const { t } = useI18n();
  return (
    <div className="banner banner-demo" data-testid="demo-banner">
      <span className="banner-long">{t('banner.demo')}</span>
      <span className="banner-short" title={t('banner.demo')}>{t('banner.demoShort')}</span>
    </div>
  );
}
