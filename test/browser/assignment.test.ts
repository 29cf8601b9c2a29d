import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ConversationDto, SessionDto } from '../../src/contract/api.ts';
import { databaseKinds } from '../support/databases.ts';
import { ADMIN, startTestInbox, waitFor, type TestInbox } from '../support/inbox.ts';
import { conversationItem, launchChromium, logIn } from './browser.ts';

const skip = process.env.WA_SKIP_BROWSER ? 'no Chromium here' : false;
const LAURA = { email: 'laura@clinica.test', password: 'laura-long-password', name: 'Laura Gómez' };

const count = (page: Page, chip: string) => page.getByTestId(`filter-${chip}-count`).innerText();
const pressed = async (page: Page, chip: string) => (await page.getByTestId(`filter-${chip}`).getAttribute('aria-pressed')) === 'true';
async function countIs(page: Page, chip: string, n: number, what: string) {
  await waitFor(async () => (await count(page, chip)) === String(n), `${what}: ${chip} = ${n}`, 10_000);
}
async function listed(page: Page): Promise<string[]> {
  return page.getByTestId('conversation-name').allInnerTexts();
}
async function listIs(page: Page, names: string[], what: string) {
  await waitFor(async () => JSON.stringify((await listed(page)).sort()) === JSON.stringify([...names].sort()), `${what}: ${names.join(', ') || 'nothing'}`, 10_000)
    .catch(async (err) => {
      throw new Error(`${(err as Error).message} (shown: ${(await listed(page)).join(', ')})`);
    });
}

// One panel assigns and resolves; the other's chips, counts and list follow live, and its chosen
// filter survives a reload.
describe('assignment and status in Chromium, two panels at once', { skip, timeout: 180_000 }, () => {
  let inbox: TestInbox;
  let browser: Browser;
  let admin: Page;
  let laura: Page;
  let ana: string;

  before(async () => {
    inbox = await startTestInbox({ kind: databaseKinds()[0]!, lifecycle: { delayMs: 50, statuses: ['sent', 'delivered'] } });
    const session = await inbox.login();
    const created = await fetch(inbox.baseUrl + '/api/users', {
      method: 'POST', headers: { ...session.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ email: LAURA.email, name: LAURA.name, password: LAURA.password, role: 'agent' }),
    });
    assert.equal(created.status, 201);
    await inbox.local.simulateInbound({ from: 'whatsapp:+573001112233', body: 'Quiero una cita', profileName: 'Ana Torres' });
    await inbox.local.simulateInbound({ from: 'whatsapp:+573004445566', body: '¿Tienen parqueadero?', profileName: 'Beto Díaz' });
    const list = await (await fetch(inbox.baseUrl + '/api/conversations?q=Ana', { headers: session.headers })).json() as { items: ConversationDto[] };
    ana = list.items[0]!.id;
    browser = await launchChromium();
    admin = await browser.newPage({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
    laura = await browser.newPage({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
    await logIn(admin, inbox.baseUrl, ADMIN.email, ADMIN.password);
    await logIn(laura, inbox.baseUrl, LAURA.email, LAURA.password);
  });
  after(async () => {
    await browser?.close();
    await inbox?.close();
  });

  test('Laura filters on Sin asignar; the admin assigns Ana to her: her counts and list change live; Míos survives a reload', async () => {
    assert.ok(await pressed(laura, 'all') && await pressed(laura, 'open'), 'Todos and Abiertos by default');
    await countIs(laura, 'all', 2, 'at first');
    await countIs(laura, 'unassigned', 2, 'at first');
    await countIs(laura, 'mine', 0, 'at first');
    await laura.getByTestId('filter-unassigned').click();
    await listIs(laura, ['Ana Torres', 'Beto Díaz'], 'Sin asignar');

    await conversationItem(admin, 'Ana Torres').click();
    await admin.getByTestId('assignee-select').selectOption({ label: LAURA.name });
    await waitFor(async () => (await admin.getByTestId('assignee-select').inputValue()) !== '', 'the admin sees Laura chosen');

    await countIs(laura, 'mine', 1, 'after the assignment');
    await countIs(laura, 'unassigned', 1, 'after the assignment');
    await listIs(laura, ['Beto Díaz'], 'Sin asignar after the assignment');

    await laura.getByTestId('filter-mine').click();
    await listIs(laura, ['Ana Torres'], 'Míos');
    await laura.reload();
    await laura.getByTestId('conversation-list').waitFor();
    assert.ok(await pressed(laura, 'mine'), 'Míos is still chosen after a reload');
    await listIs(laura, ['Ana Torres'], 'Míos after a reload');
  });

  test('the admin resolves Ana: she leaves Laura\'s open list and shows under Resueltos; her next message reopens her', async () => {
    await admin.getByTestId('resolve-conversation').click();
    await admin.getByTestId('reopen-conversation').waitFor();
    await countIs(laura, 'resolved', 1, 'after resolving');
    await countIs(laura, 'open', 0, 'after resolving (Míos)');
    await listIs(laura, [], 'Míos + Abiertos after resolving');

    await laura.getByTestId('filter-resolved').click();
    await listIs(laura, ['Ana Torres'], 'Míos + Resueltos');

    await inbox.local.simulateInbound({ from: 'whatsapp:+573001112233', body: 'Una pregunta más', profileName: 'Ana Torres' });
    await listIs(laura, [], 'Resueltos after Ana wrote again');
    await countIs(laura, 'open', 1, 'Ana reopened');
    await admin.getByTestId('resolve-conversation').waitFor({ timeout: 10_000 });
    const reopened = await (await fetch(`${inbox.baseUrl}/api/conversations/${ana}`, { headers: (await inbox.login()).headers })).json() as ConversationDto;
    assert.equal(reopened.status, 'open');
    assert.equal(reopened.assignee?.name, LAURA.name, 'reopening keeps the assignee');
  });

  test('Tomar, No leídos and Marcar como no leído', async () => {
    await laura.getByTestId('filter-open').click();
    await laura.getByTestId('filter-unassigned').click();
    await listIs(laura, ['Beto Díaz'], 'Sin asignar + Abiertos');

    await conversationItem(admin, 'Beto Díaz').click();
    await admin.getByTestId('take-conversation').click();
    await admin.getByTestId('take-conversation').waitFor({ state: 'detached' });
    await listIs(laura, [], 'Sin asignar once the admin took Beto');
    await countIs(laura, 'unassigned', 0, 'once the admin took Beto');
    await countIs(laura, 'all', 2, 'once the admin took Beto');

    // The admin has read both chats; Beto is marked unread again and shows under No leídos.
    await laura.getByTestId('filter-all').click();
    await laura.getByTestId('filter-unread').click();
    await listIs(laura, [], 'No leídos with both chats read');
    await admin.getByTestId('mark-unread').click();
    await admin.getByTestId('chat').waitFor({ state: 'detached' });
    await conversationItem(admin, 'Beto Díaz').getByTestId('unread-badge').waitFor();
    await listIs(laura, ['Beto Díaz'], 'No leídos after Marcar como no leído');
    await countIs(laura, 'unread', 1, 'No leídos after Marcar como no leído');
  });

  test('a search narrows the counts as it narrows the list', async () => {
    const search = laura.getByRole('searchbox');
    await search.fill('nadie se llama así');
    await listIs(laura, [], 'a search that matches nobody');
    await countIs(laura, 'unread', 0, 'a search that matches nobody');
    await countIs(laura, 'all', 0, 'a search that matches nobody');
    await search.fill('Beto');
    await countIs(laura, 'unread', 1, 'searching Beto');
    await search.fill('');
    await countIs(laura, 'unread', 1, 'the search cleared');
  });

  test('the chips and the header actions in English', async () => {
    await conversationItem(admin, 'Ana Torres').click();
    await admin.getByTestId('language-select').selectOption('en');
    assert.match(await admin.getByTestId('filter-mine').innerText(), /^Mine\s*\d+$/);
    assert.match(await admin.getByTestId('filter-unassigned').innerText(), /^Unassigned\s*\d+$/);
    assert.match(await admin.getByTestId('filter-resolved').innerText(), /^Resolved\s*\d+$/);
    assert.equal(await admin.getByTestId('resolve-conversation').innerText(), 'Resolve');
    assert.equal(await admin.getByTestId('mark-unread').innerText(), 'Mark as unread');
    await admin.getByTestId('language-select').selectOption('es');
    assert.match(await admin.getByTestId('filter-mine').innerText(), /^Míos\s*\d+$/);
  });

  test('the setting on the Usuarios page turns the reply-takes rule off', async () => {
    await admin.goto(inbox.baseUrl + '/users');
    const box = admin.getByTestId('setting-reply-takes');
    assert.equal(await box.isChecked(), true, 'on by default');
    // The box is controlled: it shows the saved value once the server answers, so a plain click,
    // then the saved state (uncheck() reads the box right after its click and can see the old value).
    await box.click();
    await admin.waitForFunction(() => !(document.querySelector('[data-testid="setting-reply-takes"]') as HTMLInputElement).checked, undefined, { timeout: 10_000 });
    await waitFor(async () => {
      const me = await (await fetch(inbox.baseUrl + '/api/auth/me', { headers: (await inbox.login()).headers })).json() as SessionDto;
      return me.settings.replyTakesConversation === false;
    }, 'the setting saved');
  });
});
