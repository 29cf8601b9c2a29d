import { useEffect, useSyncExternalStore } from 'react';
import { useInboxStore } from '../inbox/useInbox.ts';
import type { QuickReplies, QuickReplyStore } from './quickReplyStore.ts';

/** The quick replies, loaded on first use and kept live. */
export function useQuickReplies(): QuickReplies & { store: QuickReplyStore } {
  const store = useInboxStore().quickReplies;
  useEffect(() => store.want(), [store]);
  return { ...useSyncExternalStore(store.subscribe, store.get), store };
}
