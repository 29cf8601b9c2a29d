import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { UserDto } from '../../src/contract/api.ts';
import { databaseKinds } from '../support/databases.ts';
import { startTestInbox, waitFor, type TestInbox, type TestSession } from '../support/inbox.ts';
import { launchChromium, logIn } from './browser.ts';

const skip = process.env.WA_SKIP_BROWSER ? 'no Chromium here' : false;
const AGENT = { name: 'Marta Recepción', email: 'marta@clinica.test', password: 'agente-12345' };

// An admin changes an agent while the agent's panel is open: the server closes that panel's live
// connection at once, and the panel must show what changed without a reload.
describe('an open panel follows changes to its session, in Chromium', { skip, timeout: 120_000 }, () => {
  let inbox: TestInbox;
  let browser: Browser;
  let page: Page;
  let admin: TestSession;
  let agent: UserDto;

  before(async () => {
    inbox = await startTestInbox({ kind: databaseKinds()[0]!, startWorkers: false });
    admin = await inbox.login();
    const created = await fetch(`${inbox.baseUrl}/api/users`, { method: 'POST', headers: { ...admin.headers, 'content-type': 'application/json' }, body: JSON.stringify(AGENT) });
    agent = (await created.json()) as UserDto;
    browser = await launchChromium();
    page = await browser.newPage({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
    await logIn(page, inbox.baseUrl, AGENT.email, AGENT.password);
  });
  after(async () => {
    await browser?.close();
    await inbox?.close();
  });

  const patch = (body: object) => fetch(`${inbox.baseUrl}/api/users/${agent.id}`, { method: 'PATCH', headers: { ...admin.headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  test('made an admin: the Usuarios link appears without a reload', async () => {
    assert.equal(await page.getByTestId('nav-users').count(), 0, 'an agent has no users page');
    assert.equal((await patch({ role: 'admin' })).status, 200);
    await page.getByTestId('nav-users').waitFor({ timeout: 10_000 });
  });

  // The panel reads who it is, then opens its live connection: a change in between closes no
  // socket (none is open yet), so the connection itself must make the panel ask again.
  test('made an agent again while the live connection was still opening: the Usuarios link goes once it opens', async () => {
    let release!: () => void;
    const opened = new Promise<void>((resolve) => (release = resolve));
    let held = 0;
    await page.route('**/socket.io/**', async (route) => {
      held++;
      await opened;
      await route.continue();
    });
    try {
      await page.reload();
      await page.getByTestId('nav-users').waitFor({ timeout: 10_000 });
      await waitFor(() => held > 0, 'the panel opening its live connection', 10_000);
      assert.equal((await patch({ role: 'agent' })).status, 200);
      release();
      await page.getByTestId('nav-users').waitFor({ state: 'detached', timeout: 10_000 });
    } finally {
      release();
      await page.unroute('**/socket.io/**');
    }
  });

  test('a check that fails for a moment (503) keeps the panel on screen, and is asked again', async () => {
    let failed = 0;
    await page.route('**/api/auth/me', (route) => {
      failed++;
      return route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: 'unavailable', message: 'Service unavailable' }) });
    });
    try {
      // The role change closes the panel's socket; on reconnecting it asks who it is, and fails.
      assert.equal((await patch({ role: 'admin' })).status, 200);
      await waitFor(() => failed > 0, 'the panel asking who it is', 15_000);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(await page.getByTestId('conversation-list').count(), 1, 'the inbox stays on screen');
      assert.equal(await page.locator('main.splash').count(), 0, 'no error screen');
    } finally {
      await page.unroute('**/api/auth/me');
    }
    await page.getByTestId('nav-users').waitFor({ timeout: 15_000 });
  });

  test('disabled: the panel ends at the login screen', async () => {
    assert.equal((await patch({ disabled: true })).status, 200);
    await page.getByTestId('login-form').waitFor({ timeout: 10_000 });
  });
});
