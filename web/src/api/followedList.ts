/**
 * A list the panel loads when first wanted and fetches again whenever the server says it changed
 * (an `…:changed` event), after a reconnect and after a resync. Only the newest request's answer
 * is kept, so answers arriving out of order never bring back an older list. Subclasses say how the
 * list is fetched and what state it makes; React reads it through `subscribe`/`get`.
 */
export abstract class FollowedList<Item, State extends { error: unknown }> {
  private state: State;
  private listeners = new Set<() => void>();
  private wanted = false;
  private token = 0;

  protected constructor(initial: State) {
    this.state = initial;
  }

  protected abstract fetchItems(): Promise<{ items: Item[] }>;
  /** The state an answer makes. */
  protected abstract stateOf(items: readonly Item[]): State;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
  get = (): State => this.state;

  private set(next: State): void {
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
      const { items } = await this.fetchItems();
      if (token === this.token) this.set(this.stateOf(items));
    } catch (error) {
      if (token === this.token) this.set({ ...this.state, error });
    }
  }

  /** Runs a write, then fetches the list again (the server's event does it too, for other panels). */
  protected async thenRefresh<T>(write: Promise<T>): Promise<T> {
    const result = await write;
    void this.refresh();
    return result;
  }
}
