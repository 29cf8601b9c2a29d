import { api } from '../api/client.ts';
import type { QuickReplyDto, QuickReplyInputDto } from '../api/contract.ts';

export interface QuickReplies {
  /** Sorted by shortcut, as the server sends them; null until the first answer. */
  items: readonly QuickReplyDto[] | null;
  error: unknown;
}

/**
 * The team's quick replies, loaded when first wanted (a composer or the admin page) and fetched
 * again whenever the server says they changed, after a reconnect and after a resync. Only the
 * newest request's answer is kept, so answers arriving out of order never bring back an older list.
 */
export class QuickReplyStore {
  private state: QuickReplies = { items: null, error: null };
  private listeners = new Set<() => void>();
  private wanted = false;
  private token = 0;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
  get = (): QuickReplies => this.state;

  private set(next: QuickReplies): void {
    this.state = next;
    for (const l of this.listeners) l();
  }

  /** The first caller loads the list; after that it follows the server's changes. */
  want(): void {
    if (this.wanted) return;
    this.wanted = true;
    void this.refresh();
  }

  /** Fetches the list again, if anyone wants it. */
  async refresh(): Promise<void> {
    if (!this.wanted) return;
    const token = ++this.token;
    try {
      const { items } = await api.quickReplies();
      if (token === this.token) this.set({ items, error: null });
    } catch (error) {
      if (token === this.token) this.set({ ...this.state, error });
    }
  }

  async create(input: QuickReplyInputDto): Promise<QuickReplyDto> {
    const created = await api.createQuickReply(input);
    void this.refresh();
    return created;
  }

  async update(id: string, patch: Partial<QuickReplyInputDto>): Promise<QuickReplyDto> {
    const updated = await api.updateQuickReply(id, patch);
    void this.refresh();
    return updated;
  }

  async remove(id: string): Promise<void> {
    await api.deleteQuickReply(id);
    void this.refresh();
  }
}
