import { useCallback, useEffect, useRef, useState } from 'react';
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

/** A check that failed for another reason than a 401, while signed in: asked again after this. */
const RECHECK_RETRY_MS = 5_000;

/** The cookie session: read from /api/auth/me on load, so it survives a reload. */
export function useSession(): SessionApi {
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const retry = useRef<ReturnType<typeof setTimeout>>(undefined);
  // Read when a check fails (the callback below is made once).
  const current = useRef(state);
  current.current = state;

  const recheck = useCallback(() => {
    clearTimeout(retry.current);
    api.me().then(
      (s) => setState({ status: 'authenticated', ...s }),
      (err) => {
        if (err instanceof ApiRequestError && err.status === 401) return setState({ status: 'anonymous' });
        // Signed in already (the live connection asks on every connect): a server or network
        // failure of the moment keeps the workspace on screen, and the question is asked again.
        if (current.current.status !== 'authenticated') return setState({ status: 'error', error: err });
        retry.current = setTimeout(recheck, RECHECK_RETRY_MS);
      },
    );
  }, []);

  useEffect(() => {
    recheck();
    setUnauthenticatedHandler(() => setState({ status: 'anonymous' }));
    return () => clearTimeout(retry.current);
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
