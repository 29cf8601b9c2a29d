/**
 * Timed work (the steps of message lifecycles) and work in flight (webhooks being posted), with
 * a way to wait until none is left (`idle()`, for tests) and to drop what has not started
 * (`cancelAll()`, on close). Timers are unref'd: pending callbacks never keep a process alive.
 */
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = 0;
  private waiters: (() => void)[] = [];
  private closed = false;

  after(ms: number, work: () => Promise<unknown>): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.track(work().catch(() => {}));
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  /** Counts work that is already running until it settles. */
  track<T>(work: Promise<T>): Promise<T> {
    this.running++;
    return work.finally(() => {
      this.running--;
      this.wakeIfIdle();
    });
  }

  get pending(): number {
    return this.timers.size + this.running;
  }

  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  cancelAll(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.wakeIfIdle();
  }

  private wakeIfIdle() {
    if (this.pending > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
