import { useId, useState } from 'react';
import { api, type Settings } from '../api/client.ts';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { describeApiError } from '../i18n/format.ts';

export function SettingsPanel({ settings, onSaved }: { settings: Settings; onSaved(s: Settings): void }) {
  const { t, lang } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const id = useId();

  async function toggle(key: keyof Settings, value: boolean) {
    setBusy(true);
    setError(null);
    try {
      const saved = await api.saveSettings({ [key]: value });
      onSaved(saved && typeof saved[key] === 'boolean' ? saved : { ...settings, [key]: value });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('settings.title')}</h2>
      <div className="checkbox-field">
        <input
          id={id}
          type="checkbox"
          checked={settings.externalRaisesConversation}
          disabled={busy}
          onChange={(e) => void toggle('externalRaisesConversation', e.target.checked)}
          aria-describedby={`${id}-hint`}
          data-testid="setting-external-raises"
        />
        <label htmlFor={id}>{t('settings.externalRaises')}</label>
      </div>
      <p className="hint" id={`${id}-hint`}>{t('settings.externalRaisesHint')}</p>
      <div className="checkbox-field">
        <input
          id={`${id}-take`}
          type="checkbox"
          checked={settings.replyTakesConversation}
          disabled={busy}
          onChange={(e) => void toggle('replyTakesConversation', e.target.checked)}
          aria-describedby={`${id}-take-hint`}
          data-testid="setting-reply-takes"
        />
        <label htmlFor={`${id}-take`}>{t('settings.replyTakes')}</label>
      </div>
      <p className="hint" id={`${id}-take-hint`}>{t('settings.replyTakesHint')}</p>
      {error !== null && <p className="form-error" role="alert">{describeApiError(error, lang, t)}</p>}
    </section>
  );
}
