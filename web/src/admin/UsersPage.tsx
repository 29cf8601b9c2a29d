import { useCallback, useEffect, useState } from 'react';
import { api, type Settings } from '../api/client.ts';
import type { UserDto } from '../api/contract.ts';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { describeApiError } from '../i18n/format.ts';
import { AddUserForm } from './AddUserForm.tsx';
import { SendersPanel } from './SendersPanel.tsx';
import { SettingsPanel } from './SettingsPanel.tsx';
import { UserRow } from './UserRow.tsx';

/** Admins only: the team (add, change role, reset password, disable), the inbox settings and our numbers. */
export function UsersPage({ me, settings, onSettings }: { me: UserDto; settings: Settings; onSettings(s: Settings): void }) {
  const { t, lang } = useI18n();
  const [users, setUsers] = useState<UserDto[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const reload = useCallback(() => {
    api.users().then(
      (r) => {
        setUsers(r.items);
        setError(null);
      },
      (err: unknown) => setError(err),
    );
  }, []);
  useEffect(() => {
    if (me.role === 'admin') reload();
  }, [me.role, reload]);

  if (me.role !== 'admin') {
    return (
      <main className="page" data-testid="users-page">
        <p className="form-error" role="alert">{t('users.adminOnly')}</p>
      </main>
    );
  }

  const done = (text: string) => {
    setNotice(text);
    reload();
  };

  return (
    <main className="page" data-testid="users-page">
      <h1>{t('users.title')}</h1>
      <p className="notice" role="status" data-testid="users-notice">{notice}</p>
      {error !== null && <p className="form-error" role="alert">{describeApiError(error, lang, t)}</p>}
      {users === null && error === null && <p>{t('loading')}</p>}
      {users !== null && (
        <div className="table-wrap">
          <table className="users-table" data-testid="users-table">
            <thead>
              <tr>
                <th scope="col">{t('users.name')}</th>
                <th scope="col">{t('users.email')}</th>
                <th scope="col">{t('users.role')}</th>
                <th scope="col">{t('users.status')}</th>
                <th scope="col">{t('users.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <UserRow key={u.id} user={u} isMe={u.id === me.id} onDone={done} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <AddUserForm onCreated={(u) => done(t('users.created', { name: u.name }))} />
      <SettingsPanel settings={settings} onSaved={onSettings} />
      <SendersPanel />
    </main>
  );
}
