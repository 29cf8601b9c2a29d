import { useId, useState, type FormEvent } from 'react';
import { api } from '../api/client.ts';
import type { UserDto } from '../api/contract.ts';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { describeApiError } from '../i18n/format.ts';

export function UserRow({ user, isMe, onDone }: { user: UserDto; isMe: boolean; onDone(notice: string): void }) {
  const { t, lang } = useI18n();
  const [resetting, setResetting] = useState(false);
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const roleId = useId();
  const passwordId = useId();

  async function patch(p: Parameters<typeof api.updateUser>[1], notice: string) {
    setBusy(true);
    setError(null);
    try {
      await api.updateUser(user.id, p);
      onDone(notice);
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function resetPassword(e: FormEvent) {
    e.preventDefault();
    if (await patch({ password }, t('users.passwordSaved', { name: user.name }))) {
      setResetting(false);
      setPassword('');
    }
  }

  return (
    <tr data-testid="user-row" data-user-id={user.id} data-email={user.email} data-role={user.role} data-disabled={user.disabled ? 'true' : 'false'}>
      <td className="user-name-cell"><span data-testid="user-name">{user.name}</span> {isMe && <span className="muted">{t('users.you')}</span>}</td>
      <td>{user.email}</td>
      <td>
        <label htmlFor={roleId} className="visually-hidden">{t('users.role')}</label>
        <select
          id={roleId}
          value={user.role}
          disabled={busy || isMe}
          onChange={(e) => void patch({ role: e.target.value as UserDto['role'] }, t('users.saved'))}
          data-testid="user-role"
        >
          <option value="agent">{t('users.role.agent')}</option>
          <option value="admin">{t('users.role.admin')}</option>
        </select>
      </td>
      <td>
        <span className={`pill ${user.disabled ? 'pill-off' : 'pill-on'}`}>{user.disabled ? t('users.disabled') : t('users.active')}</span>
      </td>
      <td className="user-actions">
        {!resetting && (
          <button type="button" className="secondary" onClick={() => setResetting(true)} disabled={busy} data-testid="user-reset-password">
            {t('users.resetPassword')}
          </button>
        )}
        {!isMe && (
          <button
            type="button"
            className="secondary"
            onClick={() => void patch({ disabled: !user.disabled }, t('users.saved'))}
            disabled={busy}
            data-testid="user-toggle-disabled"
          >
            {user.disabled ? t('users.enable') : t('users.disable')}
          </button>
        )}
        {resetting && (
          <form className="inline-form" onSubmit={resetPassword} data-testid="user-password-form">
            <label htmlFor={passwordId}>{t('users.newPassword', { name: user.name })}</label>
            <input
              id={passwordId}
              type="password"
              autoComplete="new-password"
              minLength={8}
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              data-testid="user-new-password"
              autoFocus
            />
            <span className="hint">{t('users.passwordHint')}</span>
            <button type="submit" className="primary" disabled={busy || password.length < 8} data-testid="user-password-save">{t('save')}</button>
            <button type="button" className="secondary" onClick={() => setResetting(false)}>{t('cancel')}</button>
          </form>
        )}
        {error !== null && <p className="form-error" role="alert">{describeApiError(error, lang, t)}</p>}
      </td>
    </tr>
  );
}
