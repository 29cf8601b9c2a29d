import { useSyncExternalStore } from 'react';

/** The panel's pages: the inbox (optionally with a conversation open) and the admins' users, audit and quick replies pages. */
export type Route = { page: 'inbox'; conversationId: string | null } | { page: 'users' } | { page: 'audit' } | { page: 'quickReplies' };

const CHANGE = 'wa-inbox:navigate';

function parse(pathname: string): Route {
  if (pathname === '/users') return { page: 'users' };
  if (pathname === '/audit') return { page: 'audit' };
  if (pathname === '/quick-replies') return { page: 'quickReplies' };
  const m = /^\/c\/([^/]+)$/.exec(pathname);
  return { page: 'inbox', conversationId: m ? decodeURIComponent(m[1]!) : null };
}

let cachedPath = '';
let cachedRoute: Route = { page: 'inbox', conversationId: null };
function current(): Route {
  if (location.pathname !== cachedPath) {
    cachedPath = location.pathname;
    cachedRoute = parse(cachedPath);
  }
  return cachedRoute;
}

function subscribe(cb: () => void): () => void {
  window.addEventListener('popstate', cb);
  window.addEventListener(CHANGE, cb);
  return () => {
    window.removeEventListener('popstate', cb);
    window.removeEventListener(CHANGE, cb);
  };
}

export function useRoute(): Route {
  return useSyncExternalStore(subscribe, current);
}

export function navigate(path: string, o: { replace?: boolean } = {}): void {
  if (path === location.pathname) return;
  if (o.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  window.dispatchEvent(new Event(CHANGE));
}

export const conversationPath = (id: string) => `/c/${encodeURIComponent(id)}`;
