import { useId, useState } from 'react';
import { api } from '../api/client.ts';
import type { AlertPreferencesDto } from '../api/contract.ts';
import { Dialog } from '../components/Dialog.tsx';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { describeApiError } from '../i18n/format.ts';
import { useNotificationPermission } from './desktopNotifications.ts';

/**
 * "Alertas": every user's own switches (desktop notifications, sound), kept on the server, and the
 * browser's permission for notifications, asked for only from its button.
 */
export function AlertsDialog({ alerts, onSaved, onClose }: { alerts: AlertPreferencesDto; onSaved(a: AlertPreferencesDto): void; onClose(): void }) {
  const { t, lang } = useI18n();
  const { permission, request } = useNotificationPermission();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const id = useId();

  async function toggle(key: keyof AlertPreferencesDto, value: boolean) {
    setBusy(true);
    setError(null);
    try {
      onSaved(await api.saveAlerts({ [key]: value }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title={t('alerts.title')} onClose={onClose} testId="alerts-dialog">
      <p className="hint alerts-intro">{t('alerts.intro')}</p>
      <div className="checkbox-field">
        <input
          id={`${id}-desktop`} type="checkbox" checked={alerts.desktop} disabled={busy}
          onChange={(e) => void toggle('desktop', e.target.checked)} data-testid="alerts-desktop"
        />
        <label htmlFor={`${id}-desktop`}>{t('alerts.desktop')}</label>
      </div>
      <div className="alerts-permission" data-testid="alerts-permission" data-permission={permission}>
        <p className="hint" role="status">{t(`alerts.permission.${permission}`)}</p>
        {permission === 'default' && (
          <button type="button" className="primary" onClick={() => void request()} data-testid="alerts-enable">
            {t('alerts.enable')}
          </button>
        )}
      </div>
      <div className="checkbox-field">
        <input
          id={`${id}-sound`} type="checkbox" checked={alerts.sound} disabled={busy}
          onChange={(e) => void toggle('sound', e.target.checked)} data-testid="alerts-sound"
        />
        <label htmlFor={`${id}-sound`}>{t('alerts.sound')}</label>
      </div>
      {error !== null && <p className="form-error" role="alert">{describeApiError(error, lang, t)}</p>}
    </Dialog>
  );
}
