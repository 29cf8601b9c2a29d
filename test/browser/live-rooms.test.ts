import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { databaseKinds } from '../support/databases.ts';
import { ADMIN, startTestInbox, statusParams, waitFor, type TestInbox } from '../support/inbox.ts';
import { conversationItem, launchChromium, logIn } from './browser.ts';

const skip = process.env.WA_SKIP_BROWSER ? 'no Chromium here' : false;
const STATUS = '/api/whatsapp/status';

/** The Socket.IO frames a page received, as text. */
function framesOf(page: Page): string[] {
  const frames: string[] = [];
  page.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(typeof f.payload === 'string' ? f.payload : f.payload.toString())));
  return frames;
}

const bubbleStatus = (page: Page, text: string) =>
  page.getByTestId('message-bubble').filter({ hasText: text }).getAttribute('data-status');

// Message events go only to the panels that have that chat open; every panel's list still moves.
describe('live updates by chat in Chromium', { skip, timeout: 120_000 }, () => {
  let inbox: TestInbox;
  let browser: Browser;
  let carlosPage: Page;
  let dianaPage: Page;
  let dianaFrames: string[];

  before(async () => {
    inbox = await startTestInbox({ kind: databaseKinds()[0]!, lifecycle: { delayMs: 100, statuses: ['sent', 'delivered'] } });
    await inbox.local.simulateInbound({ from: 'whatsapp:+573001112233', body: 'Hola, soy Carlos', profileName: 'Carlos Pérez' });
    await inbox.local.simulateInbound({ from: 'whatsapp:+573004445566', body: 'Hola, soy Diana', profileName: 'Diana Ruiz' });
    browser = await launchChromium();
    carlosPage = await browser.newPage({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
    dianaPage = await browser.newPage({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
    dianaFrames = framesOf(dianaPage);
    for (const p of [carlosPage, dianaPage]) await logIn(p, inbox.baseUrl, ADMIN.email, ADMIN.password);
    await conversationItem(carlosPage, 'Carlos Pérez').click();
    await carlosPage.getByTestId('message-bubble').filter({ hasText: 'Hola, soy Carlos' }).waitFor();
    await conversationItem(dianaPage, 'Diana Ruiz').click();
    await dianaPage.getByTestId('message-bubble').filter({ hasText: 'Hola, soy Diana' }).waitFor();
  });
  after(async () => {
    await browser?.close();
    await inbox?.close();
  });

  test('a message to Carlos: his open chat shows it and its ticks; Diana\'s panel moves Carlos up in the list without his message events', async () => {
    const { sid } = await inbox.local.simulateExternalSend({ to: 'whatsapp:+573001112233', body: 'Su certificado de aptitud está listo' });
    const text = 'Su certificado de aptitud está listo';
    await carlosPage.getByTestId('message-bubble').filter({ hasText: text }).waitFor({ timeout: 10_000 });
    await waitFor(async () => (await bubbleStatus(carlosPage, text)) === 'delivered', 'delivered in Carlos\'s chat', 10_000);

    const carlosInDianasList = conversationItem(dianaPage, 'Carlos Pérez');
    await waitFor(async () => (await carlosInDianasList.getByTestId('conversation-preview').innerText()).includes(text), 'the preview in Diana\'s list', 10_000);
    await waitFor(async () => (await carlosInDianasList.getByTestId('message-ticks').getAttribute('data-kind')) === 'delivered', 'the ticks in Diana\'s list', 10_000);
    const carlosId = await carlosInDianasList.getAttribute('data-conversation-id');
    assert.ok(carlosId, 'the list item carries its conversation id');
    const messageEventsForCarlos = dianaFrames.filter((f) => /"message:(new|updated)"/.test(f) && f.includes(carlosId));
    assert.deepEqual(messageEventsForCarlos, [], 'Diana\'s panel got no message events of Carlos\'s chat');
    assert.ok(dianaFrames.some((f) => f.includes('"list:updated"') && f.includes(sid)), 'Diana\'s panel got the list update');
  });

  test('a chat opened again shows what changed while it was closed', async () => {
    const text = 'Su certificado de aptitud está listo';
    const sid = (await inbox.db.query<{ sid: string }>('SELECT sid FROM messages WHERE body = $1', [text])).rows[0]!.sid;
    await conversationItem(carlosPage, 'Diana Ruiz').click();
    await carlosPage.getByTestId('message-bubble').filter({ hasText: 'Hola, soy Diana' }).waitFor();
    // Carlos reads it while his chat is closed on this panel.
    assert.equal((await inbox.postSigned(STATUS, statusParams(sid, 'read', { to: 'whatsapp:+573001112233' }))).status, 204);
    await waitFor(async () => (await conversationItem(carlosPage, 'Carlos Pérez').getByTestId('message-ticks').getAttribute('data-kind')) === 'read', 'read ticks in the list', 10_000);
    await conversationItem(carlosPage, 'Carlos Pérez').click();
    await waitFor(async () => (await bubbleStatus(carlosPage, text)) === 'read', 'the bubble read when the chat is back', 10_000);
  });

  test('a chat whose messages could not load comes back by itself when the connection does', async () => {
    await conversationItem(carlosPage, 'Carlos Pérez').click();
    await carlosPage.getByTestId('message-bubble').filter({ hasText: 'Hola, soy Carlos' }).waitFor();
    // The messages of Diana's chat cannot be fetched (the server going away at that moment).
    await carlosPage.route('**/api/conversations/*/messages*', (route) => route.abort());
    await conversationItem(carlosPage, 'Diana Ruiz').click();
    await carlosPage.getByTestId('message-list').getByRole('alert').waitFor({ timeout: 10_000 });
    await carlosPage.unroute('**/api/conversations/*/messages*');
    await inbox.stopServer();
    await carlosPage.getByTestId('connection-banner').waitFor({ timeout: 10_000 });
    await inbox.restartServer();
    await carlosPage.getByTestId('message-bubble').filter({ hasText: 'Hola, soy Diana' }).waitFor({ timeout: 20_000 });
  });
});
