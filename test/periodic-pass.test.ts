import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startPeriodicPass } from '../src/messages/periodic-pass.ts';

// The runner every background worker shares (reconcile, sweeps, clean-ups, statistics).
test('a pass runs once at a time (a call during one joins it); a failed pass is logged, resolves with `failed`, and the next one runs', async () => {
  const warnings: string[] = [];
  const log = { warn: (_o: object, msg: string) => warnings.push(msg) };
  let calls = 0;
  let release!: () => void;
  const task = startPeriodicPass({
    pass: async () => {
      calls++;
      if (calls === 2) throw new Error('database down');
      await new Promise<void>((resolve) => (release = resolve));
      return calls;
    },
    everyMs: null, failed: -1, what: 'the test pass', log,
  });
  const a = task.runOnce();
  const b = task.runOnce();
  assert.equal(a, b, 'the second call joins the pass under way');
  release();
  assert.equal(await a, 1);
  assert.equal(await task.runOnce(), -1, 'a failed pass resolves with `failed`');
  assert.deepEqual(warnings, ['the test pass failed; will retry']);
  const c = task.runOnce();
  let stopped = false;
  const stopping = task.stop().then(() => (stopped = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(stopped, false, 'stop waits for the pass under way');
  release();
  assert.equal(await c, 3);
  await stopping;
  assert.equal(calls, 3);
});

test('every `everyMs`, and a first pass `firstAfterMs` after start; none after stop', async () => {
  let calls = 0;
  const task = startPeriodicPass({ pass: async () => ++calls, everyMs: 40, firstAfterMs: 5, failed: 0, what: 'x', log: { warn() {} } });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(calls, 1, 'the first pass came before the interval');
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.ok(calls >= 2, `then the interval (${calls})`);
  await task.stop();
  const after = calls;
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(calls, after);
});
