// The suite must fail on a promise rejection nothing handled (the server logs and survives one,
// see src/server.ts, but a test run has to notice it): node's test runner counts it against the
// test, and nothing in test/support may install a handler that would hide it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const FIXTURE = fileURLToPath(new URL('./fixtures/unhandled-rejection.fixture.ts', import.meta.url));

test('a test file that leaves a rejection unhandled fails the run', () => {
  // Without NODE_TEST_CONTEXT, which would make the child report to this run instead of exiting.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', FIXTURE], { encoding: 'utf8', timeout: 60_000, env });
  assert.notEqual(run.status, 0, `the run passed:\n${run.stdout}${run.stderr}`);
  assert.match(run.stdout + run.stderr, /a rejection nobody handles/);
});

test('no test support module hides unhandled rejections', async () => {
  const before = process.listenerCount('unhandledRejection');
  await import('./support/inbox.ts');
  await import('./support/child-server.ts');
  await import('./support/realtime.ts');
  await import('./support/databases.ts');
  await import('./support/tcp-proxy.ts');
  assert.equal(process.listenerCount('unhandledRejection'), before);
});
