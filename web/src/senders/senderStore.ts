import { api } from '../api/client.ts';
import type { SenderDto, SenderPatchDto } from '../api/contract.ts';

export interface Senders {
  /** Our WhatsApp numbers, oldest first; empty until the first answer. */
  items: readonly SenderDto[];
  /** More than one: only then does the panel show numbers (tags, filter, the new chat's choice). */
  several: boolean;
  error: unknown;
}

/**
 * Our WhatsApp numbers, loaded once the inbox opens and fetched again whenever the server says
 * one changed (`senders:changed`), after a reconnect and after a resync. Only the newest
 * request's answer is kept, so answers arriving out of order never bring back an older list.
 */
export class SenderStore {
  private state: Senders = { items: [], several: false, error: null };
  private listeners = new Set<() => void>();
  private wanted = false;
  private token = 0;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
  get = (): Senders => this.state;

  private set(next: Senders): void {
    this.state = next;
    for (const l of this.listeners) l();
  }

  /** The first caller loads the list; after that it follows the server's changes. */
  want(): void {
    if (this.wanted) return;
    this.wanted = true;
    void this.refresh();
  }

  async refresh(): Promise<void> {
    if (!this.wanted) return;
    const token = ++this.token;
    try {
      const { items } = await api.senders();
      if (token === this.token) this.set({ items, several: items.length > 1, error: null });
    } catch (error) {
      if (token === this.token) this.set({ ...this.state, error });
    }
  }

  /** A sender as the list now has it (its name or colour may be newer than a conversation's copy). */
  find(id: string): SenderDto | undefined {
    return this.state.items.find((s) => s.id === id);
  }

  async update(id: string, patch: SenderPatchDto): Promise<SenderDto> {
    const updated = await api.updateSender(id, patch);
    void this.refresh();
    return updated;
  }
}
