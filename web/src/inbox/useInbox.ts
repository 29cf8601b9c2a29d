import { createContext, useCallback, useContext, useSyncExternalStore } from 'react';
import type { ConversationDto } from '../api/contract.ts';
import type { ConversationList, InboxStore, Thread } from './inboxStore.ts';

export const InboxContext = createContext<InboxStore | null>(null);

export function useInboxStore(): InboxStore {
  const store = useContext(InboxContext);
  if (!store) throw new Error('useInboxStore outside <InboxContext.Provider>');
  return store;
}

// Each hook reads one slice; the store replaces only what changed, so a component re-renders
// only when its own slice did.

export function useConversation(id: string | null): ConversationDto | undefined {
  const store = useInboxStore();
  const get = useCallback(() => (id ? store.getConversation(id) : undefined), [store, id]);
  return useSyncExternalStore(store.subscribe, get);
}

export function useConversationList(): ConversationList {
  const store = useInboxStore();
  return useSyncExternalStore(store.subscribe, store.getList);
}

export function useThread(id: string): Thread {
  const store = useInboxStore();
  const get = useCallback(() => store.getThread(id), [store, id]);
  return useSyncExternalStore(store.subscribe, get);
}

export function useUnreadChats(): number {
  const store = useInboxStore();
  return useSyncExternalStore(store.subscribe, store.getUnreadChats);
}

/** The message a search hit asked this chat to show, if any. */
export function useFocusedMessage(conversationId: string): string | null {
  const store = useInboxStore();
  const get = useCallback(() => {
    const f = store.getFocus();
    return f && f.conversationId === conversationId ? f.messageId : null;
  }, [store, conversationId]);
  return useSyncExternalStore(store.subscribe, get);
}
