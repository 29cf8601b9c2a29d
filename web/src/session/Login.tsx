import { useId, useState, type FormEvent } from 'react';
import { ApiRequestError } from '../api/client.ts';
import { LanguageSelect } from '../components/LanguageSelect.tsx';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { describeApiError } from '../i18n/format.ts';

export function Login({ onLogin }: { onLogin(email: string, password: string): Promise<void> }) {
  const { t, lang } = useI18n();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const emailId = useId();
  const passwordId = useId();
  const errorId = useId();

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onLogin(email.trim(), password);
    } catch (err) {
      setPassword('');
      if (err instanceof ApiRequestError && (err.status === 401 || err.status === 400)) setError(t('login.badCredentials'));
      // The server says how long to wait (the lockout grows with each failure).
      else if (err instanceof ApiRequestError && err.status === 429) {
        setError(err.code === 'too_many_attempts' ? (lang === 'es' ? (err.messageEs ?? err.message) : err.message) : t('login.tooMany'));
      } else setError(describeApiError(err, lang, t));
      setBusy(false);
    }
  }

  return (
    <main className="login-page">
      <div className="login-top">
        <LanguageSelect />
      </div>
      <form className="login-card" onSubmit={submit} data-testid="login-form" aria-describedby={error ? errorId : undefined}>
        <h1>{t('login.title')}</h1>
        <p className="login-subtitle">{t('login.subtitle')}</p>
        {error && (
          <p className="form-error" id={errorId} role="alert" data-testid="login-error">{error}</p>
        )}
        <div className="field">
          <label htmlFor={emailId}>{t('login.email')}</label>
          <input id={emailId} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} data-testid="login-email" autoFocus />
        </div>
        <div className="field">
          <label htmlFor={passwordId}>{t('login.password')}</label>
          <input
            id={passwordId}
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-invalid={error ? true : undefined}
            data-testid="login-password"
          />
        </div>
        <button type="submit" className="primary wide" disabled={busy} data-testid="login-submit">
          {busy ? t('login.submitting') : t('login.submit')}
        </button>
      </form>
    </main>
  );
}
