import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { databaseKinds } from '../support/databases.ts';
import { ADMIN, startTestInbox, type TestInbox } from '../support/inbox.ts';
import { conversationItem, launchChromium, logIn } from './browser.ts';

const skip = process.env.WA_SKIP_BROWSER ? 'no Chromium here' : false;
const AGENT = { email: 'laura@clinica.test', password: 'a-long-enough-password' };

// "Nuevo chat": an agent writes first to a number, with a template; another panel sees it live.
describe('starting a new chat in Chromium', { skip, timeout: 240_000 }, () => {
  let inbox: TestInbox;
  let browser: Browser;
  let page: Page;

  before(async () => {
    inbox = await startTestInbox({ kind: databaseKinds()[0]!, lifecycle: { delayMs: 100 } });
    const admin = await inbox.login();
    const res = await fetch(inbox.baseUrl + '/api/users', {
      method: 'POST', headers: { ...admin.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ ...AGENT, name: 'Laura Gómez', role: 'agent' }),
    });
    assert.equal(res.status, 201);
    browser = await launchChromium();
    page = await browser.newPage({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
    await logIn(page, inbox.baseUrl, ADMIN.email, ADMIN.password);
  });
  after(async () => {
    await browser?.close();
    await inbox?.close();
  });

  const count = async (table: 'contacts' | 'messages') => Number((await inbox.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);

  /** Opens "Nuevo chat", types the number (and name), picks the one-variable template and fills it. */
  async function fillNewChat(p: Page, o: { phone: string; name?: string; value: string }) {
    await p.getByTestId('new-chat-open').click();
    const dialog = p.getByTestId('new-chat');
    await dialog.waitFor();
    await dialog.getByTestId('new-chat-phone').fill(o.phone);
    if (o.name) await dialog.getByTestId('new-chat-name').fill(o.name);
    await dialog.getByTestId('template-option').filter({ hasText: 'bienvenida' }).click();
    await dialog.getByTestId('template-variable').first().fill(o.value);
    return dialog;
  }

  test('a number typed as at the front desk, a template with its preview: the chat opens with the message, and another user sees it live', async () => {
    const second = await browser.newPage({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
    await logIn(second, inbox.baseUrl, AGENT.email, AGENT.password);

    await page.getByTestId('new-chat-open').filter({ hasText: 'Nuevo chat' }).waitFor();
    const dialog = await fillNewChat(page, { phone: '315 336 9631', name: 'Marta Gil', value: 'Marta' });
    const hint = dialog.getByTestId('new-chat-phone-hint');
    await hint.filter({ hasText: '+57 315 336 9631' }).waitFor();
    assert.equal(await hint.getAttribute('data-valid'), 'true');
    assert.equal(await dialog.getByTestId('new-chat-country').inputValue(), 'CO', 'the default country');
    assert.match(await dialog.getByTestId('template-preview').innerText(), /^Hola Marta, bienvenido a la Clínica/);
    await dialog.getByTestId('template-send').click();
    await dialog.waitFor({ state: 'detached' });

    await page.waitForURL(/\/c\/[0-9a-f-]{36}$/);
    await page.getByTestId('chat-title').filter({ hasText: 'Marta Gil' }).waitFor();
    await page.getByTestId('message-bubble').filter({ hasText: 'Hola Marta, bienvenido' }).waitFor();
    // The other user's list shows the conversation without a reload.
    await conversationItem(second, 'Marta Gil').waitFor({ timeout: 30_000 });

    const { rows } = await inbox.db.query<{ phone: string; name: string; body: string }>(
      `SELECT k.phone, k.name, m.body FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN contacts k ON k.id = c.contact_id`,
    );
    assert.deepEqual(rows.map((r) => [r.phone, r.name]), [['+573153369631', 'Marta Gil']]);
    assert.equal(inbox.local.messages().filter((m) => m.to === 'whatsapp:+573153369631').length, 1, 'Twilio got one template');
    await second.close();

    // The audit page names the new conversation, linked to its chat.
    await page.getByTestId('nav-audit').click();
    const created = page.getByTestId('audit-row').filter({ has: page.getByTestId('audit-action').filter({ hasText: 'Conversación iniciada' }) });
    await created.waitFor();
    assert.equal(await created.getByTestId('audit-conversation-link').innerText(), 'Marta Gil');
  });

  test('an invalid number: the hint warns, the server\'s Spanish error shows in the dialog, and nothing is sent', async () => {
    await page.goto(inbox.baseUrl + '/');
    await page.getByTestId('conversation-list').waitFor();
    const [contacts, messages, atTwilio] = [await count('contacts'), await count('messages'), inbox.local.messages().length];
    const dialog = await fillNewChat(page, { phone: '315 336', value: 'Pedro' });
    assert.equal(await dialog.getByTestId('new-chat-phone-hint').getAttribute('data-valid'), 'false');
    await dialog.getByTestId('template-send').click();
    const error = dialog.getByTestId('template-error');
    await error.waitFor();
    assert.match(await error.innerText(), /315 336 no es un número de teléfono válido en Colombia/);
    assert.equal(await count('contacts'), contacts, 'no contact');
    assert.equal(await count('messages'), messages, 'no message');
    assert.equal(inbox.local.messages().length, atTwilio, 'nothing reached Twilio');
    await dialog.getByTestId('new-chat-close').click();
    await dialog.waitFor({ state: 'detached' });
  });

  test('on a 390 × 844 phone the dialog fits the screen and a new chat can be sent from it', async () => {
    const phone = await browser.newPage({ locale: 'es-CO', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await logIn(phone, inbox.baseUrl, AGENT.email, AGENT.password);
    const open = phone.getByTestId('new-chat-open');
    const button = (await open.boundingBox())!;
    assert.ok(button.x >= 0 && button.x + button.width <= 390, `the button is on screen (${JSON.stringify(button)})`);

    const dialog = await fillNewChat(phone, { phone: '+57 300 555 1234', value: 'Jorge' });
    const box = (await dialog.boundingBox())!;
    assert.ok(box.x >= 0 && box.x + box.width <= 390 && box.height <= 844, `the dialog fits (${JSON.stringify(box)})`);
    const overflow = await dialog.locator('.dialog-body').evaluate((el) => el.scrollWidth - el.clientWidth);
    assert.ok(overflow <= 0, `no sideways scrolling (${overflow} px)`);
    const phoneBox = (await dialog.getByTestId('new-chat-phone').boundingBox())!;
    assert.ok(phoneBox.width >= 200, `the number field is wide enough to type in (${phoneBox.width} px)`);

    const send = dialog.getByTestId('template-send');
    await send.scrollIntoViewIfNeeded();
    // The body scrolls, not the dialog: its title and close button are still on screen.
    const close = (await dialog.getByTestId('new-chat-close').boundingBox())!;
    assert.ok(close.y >= 0 && close.y + close.height <= 844, `the close button stays in view (${JSON.stringify(close)})`);
    await send.click();
    await dialog.waitFor({ state: 'detached' });
    await phone.getByTestId('message-bubble').filter({ hasText: 'Hola Jorge, bienvenido' }).waitFor();
    assert.ok(await phone.getByTestId('message-bubble').filter({ hasText: 'Hola Jorge' }).isVisible(), 'the chat shows on the phone');
    await phone.close();
  });

  test('when the dialog\'s code cannot load, the dialog says so and the inbox keeps working', async () => {
    const cut = await browser.newPage({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
    await cut.route(/\/assets\/NewChatDialog-[^/]+\.js$/, (route) => route.abort());
    await logIn(cut, inbox.baseUrl, ADMIN.email, ADMIN.password);
    await cut.getByTestId('new-chat-open').click();
    const dialog = cut.getByTestId('new-chat');
    await dialog.getByText('No se pudo abrir Nuevo chat').waitFor();
    await dialog.getByTestId('new-chat-close').click();
    await dialog.waitFor({ state: 'detached' });
    await conversationItem(cut, 'Marta Gil').click();
    await cut.getByTestId('message-bubble').filter({ hasText: 'Hola Marta' }).waitFor();
    await cut.close();
  });
});
