import { useEffect, useRef, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import type { AlertPreferencesDto, ClientToServerEvents, ServerToClientEvents } from '../api/contract.ts';
import type { InboxStore } from './inboxStore.ts';

export type ConnectionState = 'connecting' | 'online' | 'offline';

const RETRY_MS = [1000, 2000, 5000, 10_000, 30_000];
const WATCH_ACK_TIMEOUT_MS = 5_000;

/**
 * The live connection: events go straight into the store, and every (re)connect asks
 * /api/changes for what was written while the socket was down, so nothing is missed; so does a
 * `sync:resync` from the server (its link to the other instances was down meanwhile).
 * `recheckSession` asks the server who we are (a role, a disabled user, a session ended).
 */
export function useRealtime(store: InboxStore, recheckSession: () => void, onAlerts: (alerts: AlertPreferencesDto) => void): ConnectionState {
  const [state, setState] = useState<ConnectionState>('connecting');
  // Read when the event comes: a new callback must not reconnect the socket.
  const alertsHandler = useRef(onAlerts);
  alertsHandler.current = onAlerts;

  useEffect(() => {
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({ path: '/socket.io', withCredentials: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempts = 0;
    const later = (fn: () => void) => {
      clearTimeout(timer);
      timer = setTimeout(fn, RETRY_MS[Math.min(attempts++, RETRY_MS.length - 1)]);
    };
    const catchUp = () => {
      // Quick replies changed meanwhile are not in /api/changes: the list is fetched again.
      void store.quickReplies.refresh();
      void store.senders.refresh();
      // The open chat, if its first page never arrived (the server went away meanwhile).
      const watched = store.getWatched();
      if (watched && !store.getThread(watched).loaded) void store.openThread(watched);
      // Nothing seen yet: before the first page arrives the page will be current. But a first page
      // that came back empty, before the socket connected, holds no seq to catch up from, and a
      // conversation started in between would be missed: ask for the page again.
      if (store.getLastSeq() === 0) {
        if (store.getList().loaded) store.reload();
        return;
      }
      store.catchUp().catch(() => later(catchUp));
    };
    const tellWatching = async (conversationId: string | null) => {
      if (!socket.connected) return; // asked again on connect
      const ok = await socket.timeout(WATCH_ACK_TIMEOUT_MS).emitWithAck('conversation:watch', conversationId);
      if (!ok) throw new Error('the server refused to watch ' + conversationId);
    };
    store.setWatchChannel(tellWatching);

    socket.on('message:new', (m) => store.upsertMessage(m));
    socket.on('message:updated', (m) => store.upsertMessage(m));
    socket.on('note:new', (n) => store.upsertNote(n));
    socket.on('list:updated', (update) => store.applyListUpdate(update));
    socket.on('quickReplies:changed', () => void store.quickReplies.refresh());
    socket.on('senders:changed', () => void store.senders.refresh());
    // This user changed their alerts in another tab.
    socket.on('alerts:updated', (alerts) => alertsHandler.current(alerts));
    // Events between the server's instances were lost for a while (Redis was down): catch up.
    socket.on('sync:resync', catchUp);
    socket.on('connect', () => {
      attempts = 0;
      setState('online');
      // The server closes a socket when its user or session changes (a new role, a new password,
      // disabled), but a change made before the socket opened closes nothing: the session read
      // on load (or before a restart) may be older than this connection. Ask again on every one.
      recheckSession();
      // Rooms do not survive a reconnect: watch the open chat again, then fetch what was missed.
      tellWatching(store.getWatched())
        .catch(() => {})
        .finally(catchUp);
    });
    socket.on('disconnect', (reason) => {
      setState('offline');
      // The server closed us on purpose (a restart, a changed session): Socket.IO leaves
      // reconnecting to us; once back, `connect` asks who we are.
      if (!socket.active) later(() => socket.connect());
    });
    socket.on('connect_error', (err) => {
      setState('offline');
      // Signed out (expired, disabled)? The session check says; if not, we simply try again.
      if (err.message === 'unauthenticated') recheckSession();
      // A refusal from the server's middleware is not retried by Socket.IO.
      if (!socket.active) later(() => socket.connect());
    });

    return () => {
      store.setWatchChannel(async () => {});
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.disconnect();
    };
  }, [store, recheckSession]);

  return state;
}
