import type { ConversationDto, ConversationStatus } from '../api/contract.ts';

/** The list's chips: Míos / Sin asignar / Todos, Abiertos / Resueltos, and No leídos. */
export interface ListFilter {
  assignee: 'me' | 'none' | 'all';
  status: ConversationStatus;
  unread: boolean;
  /** One of our numbers (its id), or null for all; offered only when there are several. */
  sender: string | null;
}

export const DEFAULT_FILTER: ListFilter = { assignee: 'all', status: 'open', unread: false, sender: null };
const STORAGE_KEY = 'wa-inbox.list-filter';

/** The filter chosen last in this browser: it survives a reload. */
export function storedFilter(): ListFilter {
  try {
    const v = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as Partial<ListFilter> | null;
    return {
      assignee: v?.assignee === 'me' || v?.assignee === 'none' ? v.assignee : 'all',
      status: v?.status === 'resolved' ? 'resolved' : 'open',
      unread: v?.unread === true,
      // Not kept across reloads: a number removed meanwhile would leave the list empty for no visible reason.
      sender: null,
    };
  } catch {
    return DEFAULT_FILTER;
  }
}

export function storeFilter(f: ListFilter): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(f));
  } catch {
    /* private mode: the choice lasts for this page only */
  }
}

/** The query string's filter fields, as `GET /api/conversations` and `/counts` take them. */
export function filterParams(f: ListFilter): { assignee?: string; status: string; unread?: string; sender?: string } {
  return {
    ...(f.assignee !== 'all' ? { assignee: f.assignee } : {}), status: f.status, ...(f.unread ? { unread: 'true' } : {}),
    ...(f.sender ? { sender: f.sender } : {}),
  };
}

/** Whether the server would list this conversation under the filter (live changes are placed with it). */
export function matchesFilter(c: ConversationDto, f: ListFilter, meId: string): boolean {
  if (f.assignee === 'me' && c.assignee?.id !== meId) return false;
  if (f.assignee === 'none' && c.assignee !== null) return false;
  if (c.status !== f.status) return false;
  if (f.sender && c.sender.id !== f.sender) return false;
  return !f.unread || c.unreadCount > 0;
}
