/** Background work every instance runs now and then (reconcile, sweeps, clean-ups, statistics). */
export interface PeriodicPass<T> {
  /** A pass now, or the one under way; resolves with its result, or with `failed` when it threw. */
  runOnce(): Promise<T>;
  /** No more passes; waits for the one under way. */
  stop(): Promise<void>;
}

/**
 * Runs `pass` every `everyMs` (null: only when runOnce is called), and once `firstAfterMs` after
 * start when given. Never two passes at once: a call during one joins it. A failed pass is logged
 * ("<what> failed; will retry") and the next one tries again: none ends the process.
 */
export function startPeriodicPass<T>(o: {
  pass: () => Promise<T>;
  everyMs: number | null;
  firstAfterMs?: number;
  failed: T;
  what: string;
  log: { warn(o: object, msg: string): void };
}): PeriodicPass<T> {
  let running: Promise<T> | null = null;
  function runOnce(): Promise<T> {
    running ??= o
      .pass()
      .catch((err) => {
        o.log.warn({ err }, `${o.what} failed; will retry`);
        return o.failed;
      })
      .finally(() => {
        running = null;
      });
    return running;
  }
  const timer = o.everyMs !== null ? setInterval(() => void runOnce(), o.everyMs) : null;
  const first = o.firstAfterMs !== undefined ? setTimeout(() => void runOnce(), o.firstAfterMs) : null;
  timer?.unref();
  first?.unref();
  return {
    runOnce,
    async stop() {
      if (timer) clearInterval(timer);
      if (first) clearTimeout(first);
      await running;
    },
  };
}
