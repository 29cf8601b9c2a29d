import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_SEPARATE_PER_WINDOW, NotificationBudget, SEPARATE_WINDOW_MS } from '../web/src/alerts/notificationBudget.ts';

// The panel's rule for desktop notifications (web/src/alerts): a few customers' messages show one
// by one; a catch-up after an outage, or a stream of replies, shows as one summary.
describe('desktop notifications for a burst of new messages', () => {
  test('one or two messages at once show one by one; more at once make one summary', () => {
    const budget = new NotificationBudget();
    assert.deepEqual(budget.take(1, 0), { separate: true });
    assert.deepEqual(budget.take(2, 10), { separate: true });
    assert.deepEqual(new NotificationBudget().take(200, 0), { separate: false, total: 200 }, 'a catch-up of 200: one summary');
  });

  test('messages that keep coming one at a time are summed up past the window\'s allowance, until it is quiet again', () => {
    const budget = new NotificationBudget();
    for (let i = 0; i < MAX_SEPARATE_PER_WINDOW; i++) assert.deepEqual(budget.take(1, i * 1000), { separate: true }, `message ${i + 1}`);
    assert.deepEqual(budget.take(1, 6000), { separate: false, total: 1 });
    assert.deepEqual(budget.take(1, 7000), { separate: false, total: 2 }, 'the summary counts on');
    assert.deepEqual(budget.take(3, 8000), { separate: false, total: 5 });
    // A quiet window later, messages show one by one again.
    assert.deepEqual(budget.take(1, 8000 + SEPARATE_WINDOW_MS), { separate: true });
  });
});
