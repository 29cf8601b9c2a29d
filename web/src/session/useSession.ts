import { useCallback, useEffect, useState } from 'react';
import { api, ApiRequestError, setUnauthenticatedHandler, type Session, type Settings } from '../api/client.ts';
import type { AlertPreferencesDto } from '../api/contract.ts';

export type SessionState =
  | { status: 'loading' }
  | { status: 'anonymous' }
  | { status: 'error'; error: unknown }
  | ({ status: 'authenticated' } & Session);

export interface SessionApi {
  state: SessionState;
  login(email: string, password: string): Promise<void>;
  logout(): Promise<void>;
  /** Asks the server again (a 401 somewhere may mean the session ended). */
  recheck(): void;
  setSettings(settings: Settings): void;
  /** This user's alerts, as saved here or told by the server (another tab changed them). */
  setAlerts(alerts: AlertPreferencesDto): void;
}

/** The cookie session: read from /api/auth/me on load, so it survives a reload. */
export function useSession(): SessionApi {
  const [state, setState] = useState<SessionState>({ status: 'loading' });

  const recheck = useCallback(() => {
    api.me().then(
      (s) => setState({ status: 'authenticated', ...s }),
      (err) => setState(err instanceof ApiRequestError && err.status === 401 ? { status: 'anonymous' } : { status: 'error', error: err }),
    );
  }, []);

  useEffect(() => {
    recheck();
    setUnauthenticatedHandler(() => setState({ status: 'anonymous' }));
  }, [recheck]);

  const login = useCallback(async (email: string, password: string) => {
    await api.login(email, password);
    setState({ status: 'authenticated', ...(await api.me()) });
  }, []);

  const logout = useCallback(async () => {
    try {
      await api.logout();
    } finally {
      setState({ status: 'anonymous' });
    }
  }, []);

  const setSettings = useCallback((settings: Settings) => {
    setState((s) => (s.status === 'authenticated' ? { ...s, settings } : s));
  }, []);

  const setAlerts = useCallback((alerts: AlertPreferencesDto) => {
    setState((s) => (s.status === 'authenticated' ? { ...s, alerts } : s));
  }, []);

  return { state, login, logout, recheck, setSettings, setAlerts };
}
