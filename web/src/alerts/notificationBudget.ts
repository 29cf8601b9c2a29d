// How customers' new messages become desktop notifications: one each while they are few, one summary
// for a burst (a catch-up after an outage, replies to a campaign), so nobody gets 200 of them.

/** More new messages than this at once (a catch-up after an outage, a burst) make one summary instead. */
export const MAX_SEPARATE_NOTIFICATIONS = 2;
/**
 * Messages that keep coming one or two at a time (replies to a campaign) are summed up too once
 * this many notifications were shown within SEPARATE_WINDOW_MS.
 */
export const MAX_SEPARATE_PER_WINDOW = 5;
export const SEPARATE_WINDOW_MS = 60_000;

/**
 * How many notifications may still be shown one by one, and how many messages the current summary
 * stands for (it grows until a quiet window passes).
 */
export class NotificationBudget {
  private shownAt: number[] = [];
  private summed = 0;

  /** `separate`: show each; otherwise show one summary for `total` messages. */
  take(count: number, now: number): { separate: true } | { separate: false; total: number } {
    this.shownAt = this.shownAt.filter((at) => now - at < SEPARATE_WINDOW_MS);
    if (this.shownAt.length === 0) this.summed = 0;
    if (count <= MAX_SEPARATE_NOTIFICATIONS && this.summed === 0 && this.shownAt.length + count <= MAX_SEPARATE_PER_WINDOW) {
      for (let i = 0; i < count; i++) this.shownAt.push(now);
      return { separate: true };
    }
    this.summed += count;
    this.shownAt.push(now);
    return { separate: false, total: this.summed };
  }
}

