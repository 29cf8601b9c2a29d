import { useId, useState, type FormEvent } from 'react';
import { api } from '../api/client.ts';
import type { UserDto } from '../api/contract.ts';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { describeApiError } from '../i18n/format.ts';

export function AddUserForm({ onCreated }: { onCreated(user: UserDto): void }) {
  const { t, lang } = useI18n();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<UserDto['role']>('agent');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const ids = { name: useId(), email: useId(), password: useId(), role: useId(), hint: useId() };

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const user = await api.createUser({ name: name.trim(), email: email.trim(), password, role });
      setName('');
      setEmail('');
      setPassword('');
      setRole('agent');
      onCreated(user);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby={`${ids.name}-h`}>
      <h2 id={`${ids.name}-h`}>{t('users.add')}</h2>
      <form className="grid-form" onSubmit={submit} data-testid="user-add-form">
        <div className="field">
          <label htmlFor={ids.name}>{t('users.name')}</label>
          <input id={ids.name} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} data-testid="user-add-name" />
        </div>
        <div className="field">
          <label htmlFor={ids.email}>{t('users.email')}</label>
          <input id={ids.email} type="email" required value={email} onChange={(e) => setEmail(e.target.value)} data-testid="user-add-email" autoComplete="off" />
        </div>
        <div className="field">
          <label htmlFor={ids.password}>{t('users.password')}</label>
          <input
            id={ids.password}
            type="password"
            required
            minLength={8}
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-describedby={ids.hint}
            data-testid="user-add-password"
          />
          <span className="hint" id={ids.hint}>{t('users.passwordHint')}</span>
        </div>
        <div className="field">
          <label htmlFor={ids.role}>{t('users.role')}</label>
          <select id={ids.role} value={role} onChange={(e) => setRole(e.target.value as UserDto['role'])} data-testid="user-add-role">
            <option value="agent">{t('users.role.agent')}</option>
            <option value="admin">{t('users.role.admin')}</option>
          </select>
        </div>
        {error !== null && <p className="form-error" role="alert" data-testid="user-add-error">{describeApiError(error, lang, t)}</p>}
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy} data-testid="user-add-submit">{t('users.create')}</button>
        </div>
      </form>
    </section>
  );
}
