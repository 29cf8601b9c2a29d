import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { databaseKinds } from '../support/databases.ts';
import { ADMIN, freePort, startTestInbox, waitFor, type TestInbox } from '../support/inbox.ts';
import { conversationItem, launchChromium, logIn } from './browser.ts';

const skip = process.env.WA_SKIP_BROWSER ? 'no Chromium here' : false;

interface Violation { directive: string; blocked: string; source: string; sample: string }

// The panel under its own Content-Security-Policy, in a real Chromium: every screen an agent and an
// admin use, with every kind of write the panel makes, and not one violation or console error.
describe('the panel under its security policy, in Chromium', { skip, timeout: 180_000 }, () => {
  let inbox: TestInbox;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const violations: Violation[] = [];
  const consoleErrors: string[] = [];

  before(async () => {
    inbox = await startTestInbox({ kind: databaseKinds()[0]!, lifecycle: { delayMs: 50 } });
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    await page.exposeFunction('reportCspViolation', (v: Violation) => violations.push(v));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        const report = (window as unknown as { reportCspViolation(v: Violation): void }).reportCspViolation;
        void report({ directive: e.violatedDirective, blocked: e.blockedURI, source: `${e.sourceFile}:${e.lineNumber}`, sample: e.sample });
      });
    });
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      // The panel asks who is logged in before anyone is: that 401 is how it learns to show the login form.
      if (/status of 401/.test(m.text()) && m.location().url.endsWith('/api/auth/me')) return;
      consoleErrors.push(`${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));
  });
  after(async () => {
    await browser?.close();
    await inbox?.close();
  });

  test('log in, open a chat, pick a template, send, manage users and settings: no CSP violation, no console error', async () => {
    await inbox.local.simulateInbound({ from: 'whatsapp:+573153369631', body: 'Hola, ¿atienden hoy?', profileName: 'Ana María' });
    await logIn(page, inbox.baseUrl, ADMIN.email, ADMIN.password);

    // A chat (marking it read is a write).
    await conversationItem(page, 'Ana María').click();
    await page.getByTestId('message-bubble').filter({ hasText: 'atienden hoy' }).waitFor();

    // The template picker, and a template sent from it.
    await page.getByTestId('open-templates').click();
    await page.getByTestId('template-option').first().click();
    const vars = page.getByTestId('template-variable');
    for (let i = 0; i < (await vars.count()); i++) await vars.nth(i).fill(`dato${i + 1}`);
    await page.getByTestId('template-preview').waitFor();
    await page.getByTestId('template-send').click();
    await page.getByTestId('message-bubble').filter({ hasText: 'dato1' }).waitFor({ timeout: 10_000 });
    // The bubble shows at once; the modal picker closes only when Twilio has answered, and until
    // then the rest of the page is inert (typing there would go nowhere).
    await page.getByTestId('template-picker').waitFor({ state: 'detached', timeout: 10_000 });

    // Free text.
    await page.getByTestId('composer-input').fill('Sí, hasta las 6 p. m.');
    await page.getByTestId('send-button').click();
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="message-bubble"]')].some(
      (b) => b.textContent?.includes('hasta las 6') && ['sent', 'delivered', 'read'].includes(b.getAttribute('data-status') ?? '')), undefined, { timeout: 10_000 });

    // The users page: add an agent, disable them, change the setting.
    await page.getByTestId('nav-users').click();
    await page.getByTestId('users-page').waitFor();
    await page.getByTestId('user-add-name').fill('Recepción');
    await page.getByTestId('user-add-email').fill('recepcion@clinica.test');
    await page.getByTestId('user-add-password').fill('agente-12345');
    await page.getByTestId('user-add-submit').click();
    const row = page.locator('[data-testid="user-row"][data-email="recepcion@clinica.test"]');
    await row.waitFor();
    await row.getByTestId('user-toggle-disabled').click();
    await page.locator('[data-testid="user-row"][data-email="recepcion@clinica.test"][data-disabled="true"]').waitFor();
    const setting = page.getByTestId('setting-external-raises');
    const was = await setting.isChecked();
    await setting.click();
    await waitFor(async () => (await inbox.ctx.settings.get()).externalRaisesConversation === !was, 'the setting saved');

    // Back to the inbox, and a reload: the whole start-up again under the policy.
    await page.getByTestId('nav-inbox').click();
    await page.getByTestId('conversation-list').waitFor();
    await page.reload();
    await page.getByTestId('conversation-list').waitFor();

    const { rows } = await inbox.db.query<{ body: string | null }>("SELECT body FROM messages WHERE direction = 'outbound' AND source = 'panel'");
    assert.equal(rows.length, 2, 'both sends were accepted with the panel\'s CSRF token');
    assert.deepEqual(violations, [], 'no Content-Security-Policy violation');
    assert.deepEqual(consoleErrors, [], 'no console error');
  });

  test('a page of a sibling site (same host, another port) cannot post through the agent\'s cookie', async () => {
    // Same site for SameSite purposes (ports do not count), so the browser attaches the Lax cookie
    // to the form post: only the server's own checks stand in the way.
    const conversationId = (await inbox.db.query<{ id: string }>('SELECT id FROM conversations LIMIT 1')).rows[0]!.id;
    const target = `${inbox.baseUrl}/api/conversations/${conversationId}/messages`;
    const port = await freePort();
    const evil: Server = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(`<form id="f" method="POST" action="${target}"><input name="body" value="Mensaje forjado"></form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((resolve) => evil.listen(port, '127.0.0.1', resolve));
    try {
      const attacker = await context.newPage();
      await attacker.goto(`http://127.0.0.1:${port}/`);
      await attacker.waitForURL(target);
      const text = await attacker.locator('body').innerText();
      // A form can only send a form body, which the JSON API refuses before anything else (415);
      // the cross-site and CSRF checks stand behind that (test/security.test.ts).
      assert.equal((JSON.parse(text) as { error?: { code: string } }).error?.code, 'unsupported_media_type', `the forged post was answered ${text.slice(0, 200)}`);
      await attacker.close();
    } finally {
      await new Promise((resolve) => evil.close(resolve));
    }
    const { rows } = await inbox.db.query("SELECT 1 FROM messages WHERE body = 'Mensaje forjado'");
    assert.equal(rows.length, 0, 'nothing was sent');
  });
});
