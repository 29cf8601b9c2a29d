import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { auditRepository } from '../../src/db/audit-repository.ts';
import { databaseKinds } from '../support/databases.ts';
import { ADMIN, startTestInbox, type TestInbox } from '../support/inbox.ts';
import { conversationItem, launchChromium, logIn } from './browser.ts';

const skip = process.env.WA_SKIP_BROWSER ? 'no Chromium here' : false;
const AGENT = { name: 'Lucía Recepción', email: 'lucia@clinica.test', password: 'agente-12345' };
const literally = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// The audit page in a real Chromium: an admin reads who did what; an agent is turned away.
describe('the audit page in Chromium', { skip, timeout: 120_000 }, () => {
  let inbox: TestInbox;
  let browser: Browser;
  let page: Page;

  before(async () => {
    inbox = await startTestInbox({ kind: databaseKinds()[0]!, lifecycle: { delayMs: 50 } });
    browser = await launchChromium();
    page = await browser.newPage({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
  });
  after(async () => {
    await browser?.close();
    await inbox?.close();
  });

  const rows = () => page.getByTestId('audit-row');

  test('an admin creates an agent and sends a message; the audit page shows both, newest first, in Spanish', async () => {
    // Older entries than a page holds, so "Cargar más" has something to load.
    const adminId = (await inbox.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [ADMIN.email])).rows[0]!.id;
    for (let i = 0; i < 50; i++) {
      await auditRepository.record(inbox.db, { actorId: adminId, action: 'settings.update', target: null, details: { externalRaisesConversation: i % 2 === 0 } });
    }
    await logIn(page, inbox.baseUrl, ADMIN.email, ADMIN.password);
    const adminName = await page.getByTestId('current-user').innerText();

    await page.getByTestId('nav-users').click();
    await page.getByTestId('user-add-name').fill(AGENT.name);
    await page.getByTestId('user-add-email').fill(AGENT.email);
    await page.getByTestId('user-add-password').fill(AGENT.password);
    await page.getByTestId('user-add-submit').click();
    await page.getByTestId('user-row').filter({ hasText: AGENT.email }).waitFor();

    await inbox.local.simulateInbound({ from: 'whatsapp:+573153369631', body: 'Hola, ¿hay citas mañana?', profileName: 'Ana María' });
    await page.getByTestId('nav-inbox').click();
    await conversationItem(page, 'Ana María').click();
    await page.getByTestId('composer-input').fill('Sí, a las 9 a. m.');
    await page.getByTestId('send-button').click();
    // Sent means Twilio answered, after the send was written to the audit log.
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="message-bubble"]')]
      .some((b) => b.textContent?.includes('Sí, a las 9 a. m.') && ['sent', 'delivered', 'read'].includes(b.getAttribute('data-status') ?? '')), undefined, { timeout: 10_000 });
    const conversationId = await conversationItem(page, 'Ana María').getAttribute('data-conversation-id');

    await page.getByTestId('nav-audit').click();
    await rows().first().waitFor();
    assert.equal(await page.getByTestId('nav-audit').getAttribute('aria-current'), 'page');
    assert.equal(new URL(page.url()).pathname, '/audit');
    assert.equal(await page.locator('h1').innerText(), 'Auditoría');

    // The admin's reply took the conversation nobody had (on by default), just after the send.
    const taken = rows().nth(0);
    assert.equal(await taken.getAttribute('data-action'), 'conversation.assign');
    assert.equal(await taken.getByTestId('audit-action').innerText(), 'Conversación asignada');
    assert.equal(await taken.getByTestId('audit-conversation-link').innerText(), 'Ana María');
    assert.equal(await taken.getByTestId('audit-details').innerText(), `A: ${adminName} · al responder`);

    const sent = rows().nth(1);
    assert.equal(await sent.getAttribute('data-action'), 'message.send');
    assert.equal(await sent.getByTestId('audit-action').innerText(), 'Mensaje enviado');
    assert.match(await sent.getByTestId('audit-actor').innerText(), new RegExp(`^${literally(adminName)}\\s+${literally(ADMIN.email)}$`));
    const link = sent.getByTestId('audit-conversation-link');
    assert.equal(await link.innerText(), 'Ana María');
    assert.equal(await link.getAttribute('href'), `/c/${conversationId}`);
    assert.match(await sent.getByTestId('audit-details').innerText(), /«Sí, a las 9 a\. m\.»/);

    const created = rows().nth(2);
    assert.equal(await created.getAttribute('data-action'), 'user.create');
    assert.equal(await created.getByTestId('audit-action').innerText(), 'Usuario creado');
    assert.match(await created.getByTestId('audit-actor').innerText(), new RegExp(`^${literally(adminName)}\\s`));
    assert.equal(await created.getByTestId('audit-target').innerText(), AGENT.name);
    assert.equal(await created.getByTestId('audit-details').innerText(), `Correo: ${AGENT.email} · Rol: Agente`);

    assert.equal(await rows().nth(3).getByTestId('audit-action').innerText(), 'Ajuste cambiado');
    assert.equal(await rows().count(), 50, 'one page at first');
    await page.getByTestId('audit-load-more').click();
    await page.getByTestId('audit-end').waitFor();
    assert.equal(await rows().count(), 53, 'the older page appended (50 settings, the agent, the send and the take)');
    assert.equal(await page.getByTestId('audit-load-more').count(), 0, 'nothing more to load');

    // The target opens the conversation.
    await link.click();
    await page.getByTestId('message-bubble').filter({ hasText: 'Sí, a las 9 a. m.' }).waitFor();
    assert.equal(new URL(page.url()).pathname, `/c/${conversationId}`);
  });

  test('an agent has no link to the audit page, and opening its address says no permission', async () => {
    const agentPage = await browser.newPage({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
    try {
      await logIn(agentPage, inbox.baseUrl, AGENT.email, AGENT.password);
      await agentPage.getByTestId('nav-inbox').waitFor();
      assert.equal(await agentPage.getByTestId('nav-audit').count(), 0, 'no audit link for agents');
      assert.equal(await agentPage.getByTestId('nav-users').count(), 0, 'no users link for agents');
      await agentPage.goto(inbox.baseUrl + '/audit');
      await agentPage.getByTestId('audit-forbidden').waitFor();
      assert.equal(await agentPage.getByTestId('audit-forbidden').innerText(), 'Solo los administradores pueden ver la auditoría.');
      assert.equal(await agentPage.getByTestId('audit-row').count(), 0, 'no entries shown');
      assert.equal(await agentPage.getByTestId('app-header').count(), 1, 'the panel around it still works');
    } finally {
      await agentPage.close();
    }
  });
});
