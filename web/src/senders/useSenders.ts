import { useEffect, useSyncExternalStore } from 'react';
import { useInboxStore } from '../inbox/useInbox.ts';
import type { SenderStore, Senders } from './senderStore.ts';

/** Our WhatsApp numbers, loaded on first use and kept live. */
export function useSenders(): Senders & { store: SenderStore } {
  const store = useInboxStore().senders;
  useEffect(() => store.want(), [store]);
  return { ...useSyncExternalStore(store.subscribe, store.get), store };
}
