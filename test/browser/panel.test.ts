import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { messageRepository } from '../../src/db/message-repository.ts';
import { conversationRepository } from '../../src/db/conversation-repository.ts';
import { databaseKinds } from '../support/databases.ts';
import { ADMIN, newSid, startTestInbox, type TestInbox } from '../support/inbox.ts';
import { conversationItem, launchChromium, logIn } from './browser.ts';

const skip = process.env.WA_SKIP_BROWSER ? 'no Chromium here' : false;

// The checks an operator runs, in a real Chromium against the real server and the local Twilio.
describe('the panel in Chromium', { skip, timeout: 180_000 }, () => {
  let inbox: TestInbox;
  let browser: Browser;
  let page: Page;

  before(async () => {
    inbox = await startTestInbox({ kind: databaseKinds()[0]!, lifecycle: { delayMs: 150 } });
    browser = await launchChromium();
    page = await browser.newPage({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
  });
  after(async () => {
    await browser?.close();
    await inbox?.close();
  });

  const customerWrites = (phone: string, body: string, profileName: string) => inbox.local.simulateInbound({ from: `whatsapp:${phone}`, body, profileName });

  test('login: a wrong password says so; a locked account says how long to wait; the right one opens the inbox; a reload keeps the session', async () => {
    await page.goto(inbox.baseUrl + '/');
    await page.getByTestId('login-email').fill(ADMIN.email);
    await page.getByTestId('login-password').fill('wrong-password');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-error').waitFor();
    assert.match(await page.getByTestId('login-error').innerText(), /incorrect/i);
    // The account locked (as after its fifth failure): the server's wait is shown, in Spanish.
    await inbox.db.query("UPDATE login_account_failures SET locked_until = now() + interval '90 seconds'");
    await page.getByTestId('login-password').fill(ADMIN.password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-error').filter({ hasText: 'Demasiados' }).waitFor();
    assert.match(await page.getByTestId('login-error').innerText(), /Demasiados intentos fallidos; intente de nuevo en (8\d|90) segundos/);
    await inbox.db.query('DELETE FROM login_account_failures');
    await logIn(page, inbox.baseUrl, ADMIN.email, ADMIN.password);
    await page.reload();
    await page.getByTestId('conversation-list').waitFor();
    assert.equal(await page.getByTestId('login-form').count(), 0);
  });

  test('(1) an agent sends from the panel: the message shows at once and reaches delivered', async () => {
    await customerWrites('+573153369631', 'Buenos días, ¿tienen cita hoy?', 'Ana María');
    await conversationItem(page, 'Ana María').click();
    await page.getByTestId('composer-input').fill('Sí, a las 10 a. m.');
    await page.getByTestId('send-button').click();
    const bubble = page.getByTestId('message-bubble').filter({ hasText: 'Sí, a las 10 a. m.' });
    await bubble.waitFor({ timeout: 5_000 });
    await page.waitForFunction(() => {
      const b = [...document.querySelectorAll('[data-testid="message-bubble"]')].find((e) => e.textContent?.includes('Sí, a las 10 a. m.'));
      return b && ['delivered', 'read'].includes(b.getAttribute('data-status') ?? '');
    }, undefined, { timeout: 10_000 });
    assert.equal(await page.getByTestId('message-bubble').filter({ hasText: 'Sí, a las 10 a. m.' }).count(), 1, 'one bubble, never a twin');
    assert.equal(await bubble.getAttribute('data-source'), 'panel');
  });

  test('(2) and (3) a message sent from outside shows, labelled external with its text, in two browsers at once', async () => {
    const second = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await logIn(second, inbox.baseUrl, ADMIN.email, ADMIN.password);
    await conversationItem(second, 'Ana María').click();
    await inbox.local.simulateExternalSend({ to: 'whatsapp:+573153369631', body: 'Recordatorio desde la web: traiga su documento' });
    for (const p of [page, second]) {
      const bubble = p.getByTestId('message-bubble').filter({ hasText: 'Recordatorio desde la web' });
      await bubble.waitFor({ timeout: 10_000 });
      assert.equal(await bubble.getAttribute('data-source'), 'external');
      assert.match(await bubble.getByTestId('message-source').innerText(), /Externo/);
    }
    await second.close();
  });

  test('an outside template whose text Twilio does not return shows a clear placeholder, never a blank bubble', async () => {
    await conversationItem(page, 'Ana María').click();
    const template = inbox.local.addTemplate({ friendlyName: 'campana_web', language: 'es', category: 'MARKETING', approval: 'approved', body: 'Promoción {{1}}', variables: { 1: 'x' } } as never);
    const { sid } = await inbox.local.simulateExternalSend({ to: 'whatsapp:+573153369631', contentSid: template.sid, contentVariables: { 1: 'junio' }, viaService: true });
    await page.waitForFunction((s) => [...document.querySelectorAll('[data-testid="message-bubble"]')].some((e) => e.textContent?.includes('Plantilla de WhatsApp enviada desde fuera')), sid, { timeout: 10_000 });
    // The list's preview says the same, not "without text".
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="conversation-item"]')].some((e) => e.textContent?.includes('Ana María') && e.textContent.includes('Plantilla de WhatsApp enviada desde fuera')), undefined, { timeout: 10_000 });
  });

  test('a customer writing to another conversation raises it with an unread badge and the tab title counts it', async () => {
    await conversationItem(page, 'Ana María').click();
    await customerWrites('+573185550001', 'Hola, ¿me ayudan con una orden médica?', 'Jorge Ruiz');
    const item = conversationItem(page, 'Jorge Ruiz');
    await item.getByTestId('unread-badge').waitFor({ timeout: 10_000 });
    assert.equal(await item.getByTestId('unread-badge').innerText(), '1');
    assert.equal(await page.getByTestId('conversation-item').first().getAttribute('data-conversation-id'), await item.getAttribute('data-conversation-id'), 'raised to the top');
    await page.waitForFunction(() => /^\(\d+\) /.test(document.title), undefined, { timeout: 10_000 });
    await item.click();
    await item.getByTestId('unread-badge').waitFor({ state: 'detached', timeout: 10_000 });
  });

  test('a template goes out when the 24-hour window is closed', async () => {
    const conversationId = await conversationRepository.ensureForPhone(inbox.db, '+573001234567');
    // A conversation that exists (an old customer) but has not written in 24 hours.
    const admin = (await inbox.db.query<{ id: string }>('SELECT id FROM users LIMIT 1')).rows[0]!.id;
    const old = await messageRepository.insertPanelMessage(inbox.db, { conversationId, body: 'Mensaje antiguo', contentSid: null, contentVariables: null, sentBy: admin, businessAddress: null, messagingServiceSid: null });
    await inbox.db.query(`UPDATE messages SET created_at = now() - interval '3 days', status = 'read' WHERE id = $1`, [old.id]);
    await inbox.db.query(`UPDATE conversations SET last_message_at = now() - interval '3 days', last_inbound_at = now() - interval '3 days', contact_id = contact_id WHERE id = $1`, [conversationId]);
    await inbox.db.query(`UPDATE contacts SET name = 'Paciente Antiguo' WHERE phone = '+573001234567'`);
    await page.reload();
    await page.getByTestId('conversation-search').fill('Antiguo');
    await conversationItem(page, 'Paciente Antiguo').click();
    await page.getByTestId('window-closed').waitFor();
    assert.equal(await page.getByTestId('composer').getAttribute('data-window'), 'closed');
    await page.getByTestId('open-templates').click();
    await page.getByTestId('template-option').first().click();
    const vars = page.getByTestId('template-variable');
    for (let i = 0; i < (await vars.count()); i++) await vars.nth(i).fill(`valor${i + 1}`);
    assert.match(await page.getByTestId('template-preview').innerText(), /valor1/);
    await page.getByTestId('template-send').click();
    const bubble = page.getByTestId('message-bubble').filter({ hasText: 'valor1' });
    await bubble.waitFor({ timeout: 10_000 });
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="message-bubble"]')].some((e) => e.textContent?.includes('valor1') && ['sent', 'delivered', 'read'].includes(e.getAttribute('data-status') ?? '')), undefined, { timeout: 10_000 });
    await page.getByTestId('conversation-search').fill('');
  });

  test('a 63016 failure shows on the bubble, explained in words', async () => {
    // Our side thinks the window is open; Twilio (which never saw the customer write) refuses.
    const conversationId = await conversationRepository.ensureForPhone(inbox.db, '+573009998877');
    await inbox.db.query(`UPDATE contacts SET name = 'Cliente Ventana' WHERE phone = '+573009998877'`);
    const admin = (await inbox.db.query<{ id: string }>('SELECT id FROM users LIMIT 1')).rows[0]!.id;
    await messageRepository.insertPanelMessage(inbox.db, { conversationId, body: 'hola', contentSid: null, contentVariables: null, sentBy: admin, businessAddress: null, messagingServiceSid: null });
    await inbox.db.query(`UPDATE conversations SET last_inbound_at = now() - interval '1 hour' WHERE id = $1`, [conversationId]);
    await page.reload();
    await conversationItem(page, 'Cliente Ventana').click();
    await page.getByTestId('composer-input').fill('¿Sigue interesado?');
    await page.getByTestId('send-button').click();
    const bubble = page.getByTestId('message-bubble').filter({ hasText: '¿Sigue interesado?' });
    await bubble.getByTestId('message-error').waitFor({ timeout: 10_000 });
    assert.equal(await bubble.getAttribute('data-status'), 'failed');
    assert.match(await bubble.getByTestId('message-error').innerText(), /24 horas.*63016/);
  });

  test('a <script> in a customer\'s message shows as characters and runs nothing', async () => {
    const evil = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
    await customerWrites('+573112223344', evil, 'Hacker <b>bold</b>');
    await conversationItem(page, 'Hacker').click();
    const bubble = page.getByTestId('message-bubble').filter({ hasText: '<script>' });
    await bubble.waitFor({ timeout: 10_000 });
    assert.equal(await bubble.getByTestId('message-body').innerText(), evil);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(await page.locator('b', { hasText: 'bold' }).count(), 0);
  });

  test('after the server restarts the panel reconnects and fetches what changed while it was away', { timeout: 60_000 }, async () => {
    await customerWrites('+573175556677', 'Hola, soy Rosa', 'Rosa Gómez');
    await conversationItem(page, 'Rosa Gómez').click();
    await inbox.stopServer();
    await page.getByTestId('connection-banner').waitFor({ timeout: 10_000 });
    // Written while no server could tell the panel (as reconciliation does at start).
    const conversationId = await conversationRepository.ensureForPhone(inbox.db, '+573175556677');
    const [saved] = await messageRepository.insertOrAdvanceMany(inbox.db, [{
      sid: newSid(), conversationId, direction: 'inbound', source: 'inbound', capturedVia: 'reconcile', body: 'Escribí mientras el servidor estaba caído',
      bodyPending: false, media: [], businessAddress: null, messagingServiceSid: null, createdAt: new Date(),
      u: { status: 'received', errorCode: null, errorMessage: null, at: new Date() }, activity: { unread: true, inbound: true, raise: true, fetchJob: null },
    }]);
    assert.ok(saved?.inserted, 'the message was recorded while the server was down');
    await inbox.restartServer();
    await page.getByTestId('message-bubble').filter({ hasText: 'Escribí mientras el servidor estaba caído' }).waitFor({ timeout: 20_000 });
    await page.getByTestId('connection-banner').waitFor({ state: 'detached', timeout: 10_000 });
  });

  // The README's pictures come from `npm run screenshots`; tests write nothing into the checkout.
  test('a customer writing while another chat is open: the list gains the chat, the open chat stays', async () => {
    await conversationItem(page, 'Ana María').click();
    await page.getByTestId('message-bubble').first().waitFor();
    await customerWrites('+573204445566', 'Necesito el certificado de aptitud laboral', 'Carlos Pérez');
    await conversationItem(page, 'Carlos Pérez').waitFor({ timeout: 10_000 });
    assert.match(await conversationItem(page, 'Carlos Pérez').innerText(), /certificado de aptitud laboral/);
    assert.equal(await page.getByTestId('message-bubble').filter({ hasText: 'certificado de aptitud' }).count(), 0, 'the open chat is still Ana María\'s');
  });
});
