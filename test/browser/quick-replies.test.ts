import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { quickReplyRepository } from '../../src/db/quick-reply-repository.ts';
import { databaseKinds } from '../support/databases.ts';
import { ADMIN, startTestInbox, type TestInbox } from '../support/inbox.ts';
import { conversationItem, launchChromium, logIn } from './browser.ts';

const skip = process.env.WA_SKIP_BROWSER ? 'no Chromium here' : false;
const AGENT = { email: 'sofia@clinica.test', password: 'a-long-enough-password' };
const PHONE = { width: 390, height: 844 };

// An admin adds a quick reply; an agent whose panel is already open finds it with `/` in the
// composer, inserts it filled with the contact's name, edits it and sends it. Also on a phone.
describe('quick replies in Chromium', { skip, timeout: 240_000 }, () => {
  let inbox: TestInbox;
  let browser: Browser;
  let admin: Page;
  let agent: Page;

  before(async () => {
    inbox = await startTestInbox({ kind: databaseKinds()[0]!, lifecycle: { delayMs: 100 } });
    const session = await inbox.login();
    const res = await fetch(`${inbox.baseUrl}/api/users`, {
      method: 'POST', headers: { ...session.headers, 'content-type': 'application/json' }, body: JSON.stringify({ ...AGENT, name: 'Sofía', role: 'agent' }),
    });
    assert.equal(res.status, 201);
    await inbox.local.simulateInbound({ from: 'whatsapp:+573204440001', body: '¿A qué hora atienden?', profileName: 'Rosa Elena' });
    browser = await launchChromium();
    admin = await browser.newPage({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
    agent = await browser.newPage({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
    await logIn(admin, inbox.baseUrl, ADMIN.email, ADMIN.password);
    await logIn(agent, inbox.baseUrl, AGENT.email, AGENT.password);
  });
  after(async () => {
    await browser?.close();
    await inbox?.close();
  });

  const composerValue = (page: Page) => page.getByTestId('composer-input').inputValue();
  const sentCount = async (body: string) => (await inbox.db.query('SELECT 1 FROM messages WHERE body = $1', [body])).rows.length;

  test('added by an admin, found by an already-open agent with /hor, inserted with the name, edited and sent', async () => {
    // The agent's chat is open (its composer has already loaded the empty list) before the reply exists.
    await conversationItem(agent, 'Rosa Elena').click();
    await agent.getByTestId('message-bubble').filter({ hasText: '¿A qué hora atienden?' }).waitFor();

    await admin.getByTestId('nav-quick-replies').click();
    await admin.getByTestId('quick-replies-empty').waitFor();
    await admin.getByTestId('quick-reply-add-shortcut').fill('/horario');
    await admin.getByTestId('quick-reply-add-body').fill('Hola {{nombre}}, atendemos de 7 a 5');
    await admin.getByTestId('quick-reply-add-submit').click();
    await admin.locator('[data-testid="quick-reply-item"][data-shortcut="horario"]').waitFor();
    assert.match(await admin.getByTestId('quick-replies-notice').innerText(), /\/horario agregada/);

    const input = agent.getByTestId('composer-input');
    await input.click();
    await input.pressSequentially('/hor');
    const option = agent.locator('[data-testid="quick-reply-option"][data-shortcut="horario"]');
    await option.waitFor({ timeout: 10_000 });
    assert.match(await option.innerText(), /Hola Rosa Elena, atendemos de 7 a 5/, 'the list previews the filled text');
    // Screen readers: the textarea is a combobox whose active option is the highlighted one.
    assert.equal(await input.getAttribute('aria-expanded'), 'true');
    assert.equal(await input.getAttribute('aria-activedescendant'), await option.getAttribute('id'));
    assert.equal(await option.getAttribute('aria-selected'), 'true');
    assert.equal(await agent.getByTestId('quick-reply-list').getByRole('listbox').count(), 1);
    await agent.keyboard.press('Enter');
    await agent.getByTestId('quick-reply-list').waitFor({ state: 'detached' });
    assert.equal(await composerValue(agent), 'Hola Rosa Elena, atendemos de 7 a 5');
    assert.equal(await sentCount('Hola Rosa Elena, atendemos de 7 a 5'), 0, 'choosing sends nothing');

    await agent.keyboard.type(' y los sábados de 8 a 12.');
    const text = 'Hola Rosa Elena, atendemos de 7 a 5 y los sábados de 8 a 12.';
    assert.equal(await composerValue(agent), text);
    await agent.keyboard.press('Enter');
    await agent.getByTestId('message-bubble').filter({ hasText: text }).first().waitFor();
    await agent.waitForFunction(() => (document.querySelector('[data-testid="composer-input"]') as HTMLTextAreaElement).value === '');
    assert.equal(await sentCount(text), 1);

    // Escape closes the list and leaves the typed text; a `/` inside a word opens nothing.
    await input.pressSequentially('Vea 1/2 y /');
    await agent.getByTestId('quick-reply-list').waitFor();
    await agent.keyboard.press('Escape');
    await agent.getByTestId('quick-reply-list').waitFor({ state: 'detached' });
    assert.equal(await composerValue(agent), 'Vea 1/2 y /');
    await input.fill('');

    await admin.getByTestId('nav-audit').click();
    const row = admin.locator('[data-testid="audit-row"][data-action="quickReply.create"]');
    await row.waitFor();
    assert.equal(await row.getByTestId('audit-action').innerText(), 'Respuesta rápida creada');
    assert.equal(await row.getByTestId('audit-target').innerText(), '/horario');
  });

  test('on a 390 × 844 phone: the admin page adds, edits and deletes (with confirmation); the composer list fits and a tap inserts', async () => {
    const phoneAdmin = await browser.newPage({ locale: 'es-CO', viewport: PHONE, isMobile: true, hasTouch: true });
    await logIn(phoneAdmin, inbox.baseUrl, ADMIN.email, ADMIN.password);
    await phoneAdmin.getByTestId('header-menu-button').click();
    await phoneAdmin.getByTestId('nav-quick-replies').click();
    await phoneAdmin.locator('[data-testid="quick-reply-item"][data-shortcut="horario"]').waitFor();
    await phoneAdmin.getByTestId('quick-reply-add-shortcut').fill('Cotización');
    await phoneAdmin.getByTestId('quick-reply-add-body').fill('{{nombre}}, le enviamos la cotización hoy.');
    const submit = phoneAdmin.getByTestId('quick-reply-add-submit');
    await submit.scrollIntoViewIfNeeded();
    await fitsOnScreen(phoneAdmin, submit, 'the add button');
    await submit.tap();
    const card = phoneAdmin.locator('[data-testid="quick-reply-item"][data-shortcut="cotización"]');
    await card.waitFor();
    await fitsOnScreen(phoneAdmin, card, 'the new reply\'s card');
    assert.equal(await phoneAdmin.evaluate(() => document.documentElement.scrollWidth), PHONE.width, 'nothing wider than the phone');

    // A duplicate is refused where it was typed.
    await phoneAdmin.getByTestId('quick-reply-add-shortcut').fill('/HORARIO');
    await phoneAdmin.getByTestId('quick-reply-add-body').fill('Otro texto');
    await submit.tap();
    assert.match(await phoneAdmin.getByTestId('quick-reply-add-error').innerText(), /Ya existe una respuesta rápida con el atajo \/horario/);

    await card.getByTestId('quick-reply-edit-button').tap();
    await card.getByTestId('quick-reply-edit-body').fill('{{nombre}}, le enviamos la cotización mañana.');
    await card.getByTestId('quick-reply-edit-submit').tap();
    await card.getByText('{{nombre}}, le enviamos la cotización mañana.').waitFor();

    // The agent's open panel follows the edit live; a tap on a phone inserts the reply.
    const phoneAgent = await browser.newPage({ locale: 'es-CO', viewport: PHONE, isMobile: true, hasTouch: true });
    await logIn(phoneAgent, inbox.baseUrl, AGENT.email, AGENT.password);
    await conversationItem(phoneAgent, 'Rosa Elena').tap();
    const input = phoneAgent.getByTestId('composer-input');
    await input.tap();
    await input.pressSequentially('/cotiza');
    const option = phoneAgent.locator('[data-testid="quick-reply-option"][data-shortcut="cotización"]');
    await option.waitFor();
    assert.equal(await phoneAgent.locator('[data-testid="quick-reply-option"]').count(), 1, 'filtered by what follows the slash');
    await fitsOnScreen(phoneAgent, phoneAgent.getByTestId('quick-reply-list'), 'the composer\'s list');
    await option.tap();
    assert.equal(await composerValue(phoneAgent), 'Rosa Elena, le enviamos la cotización mañana.');
    await input.fill('');

    await card.getByTestId('quick-reply-delete-button').tap();
    const dialog = phoneAdmin.getByTestId('quick-reply-delete-dialog');
    await dialog.waitFor();
    await fitsOnScreen(phoneAdmin, dialog.getByTestId('quick-reply-delete-confirm'), 'the confirm button');
    await dialog.getByTestId('quick-reply-delete-confirm').tap();
    await dialog.waitFor({ state: 'detached' });
    await card.waitFor({ state: 'detached' });
    assert.match(await phoneAdmin.getByTestId('quick-replies-notice').innerText(), /\/cotización eliminada/);

    // Gone from the agent's list too, live.
    await input.pressSequentially('/cotiza');
    await phoneAgent.getByText('Ninguna respuesta rápida coincide.').waitFor({ timeout: 10_000 });
    assert.equal(await phoneAgent.locator('[data-testid="quick-reply-option"]').count(), 0);
    await phoneAgent.close();
    await phoneAdmin.close();
  });

  test('a reply added while the agent\'s panel was cut off shows once it reconnects', async () => {
    await agent.goto(inbox.baseUrl + '/');
    await conversationItem(agent, 'Rosa Elena').click();
    await agent.getByTestId('composer-input').waitFor();
    await inbox.stopServer();
    await agent.getByTestId('connection-banner').waitFor({ timeout: 10_000 });
    // Written while no server could tell the panel (as from another instance during an outage).
    const { rows } = await inbox.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [ADMIN.email]);
    await quickReplyRepository.insert(inbox.db, { shortcut: 'resultados', body: 'Sus resultados están listos, {{nombre}}.', userId: rows[0]!.id });
    await inbox.restartServer();
    await agent.getByTestId('connection-banner').waitFor({ state: 'detached', timeout: 30_000 });
    await agent.getByTestId('composer-input').pressSequentially('/resul');
    await agent.locator('[data-testid="quick-reply-option"][data-shortcut="resultados"]').waitFor({ timeout: 10_000 });
    await agent.keyboard.press('Tab');
    assert.equal(await composerValue(agent), 'Sus resultados están listos, Rosa Elena.');
    await agent.getByTestId('composer-input').fill('');
  });
});

async function fitsOnScreen(page: Page, locator: ReturnType<Page['locator']>, what: string): Promise<void> {
  const box = await locator.boundingBox();
  const view = page.viewportSize()!;
  assert.ok(box, `${what} is shown`);
  assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= view.width + 0.5 && box.y + box.height <= view.height + 0.5, `${what} fits the screen: ${JSON.stringify(box)}`);
  assert.ok(box.width > 0 && box.height > 0, `${what} has a size`);
}
