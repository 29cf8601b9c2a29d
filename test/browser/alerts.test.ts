import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import type { ConversationDto, PageDto } from '../../src/contract/api.ts';
import { databaseKinds } from '../support/databases.ts';
import { ADMIN, startTestInbox, waitFor, type TestInbox, type TestSession } from '../support/inbox.ts';
import { record } from '../support/realtime.ts';
import { conversationItem, launchChromium, logIn } from './browser.ts';

const skip = process.env.WA_SKIP_BROWSER ? 'no Chromium here' : false;
const ANA = '+573001112233';
const BETO = '+573004445566';
const CARLA = '+573007778899';

interface Shown { title: string; body: string | undefined; tag: string | undefined }
declare global {
  interface Window {
    shownNotifications: Shown[];
    notificationObjects: Notification[];
    permissionRequests: number;
    tonesPlayed: number;
  }
}

// Records what the panel does with the real APIs, which it still calls: every notification shown,
// every permission request, every tone started. Plain text: the test's compiler would add helpers
// to a function that the page does not have.
const RECORD_ALERTS = `
  window.shownNotifications = [];
  window.notificationObjects = [];
  window.permissionRequests = 0;
  window.tonesPlayed = 0;
  const Real = window.Notification;
  class Recorded extends Real {
    constructor(title, options) {
      super(title, options);
      window.shownNotifications.push({ title, body: options && options.body, tag: options && options.tag });
      window.notificationObjects.push(this);
    }
  }
  Recorded.requestPermission = (...args) => {
    window.permissionRequests++;
    return Real.requestPermission(...args);
  };
  window.Notification = Recorded;
  const createOscillator = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () {
    window.tonesPlayed++;
    return createOscillator.call(this);
  };
`;

describe('alerts for new customer messages in Chromium', { skip, timeout: 240_000 }, () => {
  let inbox: TestInbox;
  let session: TestSession;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let laura: string;
  const ids: Record<string, string> = {};

  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(inbox.baseUrl + path, {
      method, headers: { ...session.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.ok(res.ok, `${method} ${path}: ${res.status}`);
    return (await res.json()) as T;
  };
  const conversationOf = async (phone: string) => (await api<PageDto<ConversationDto>>('GET', `/api/conversations?q=${phone.slice(1)}`)).items[0]!;
  const writes = async (phone: string, body: string, profileName: string) => {
    await inbox.local.simulateInbound({ from: `whatsapp:${phone}`, body, profileName });
  };
  const shown = () => page.evaluate(() => window.shownNotifications);
  const tones = () => page.evaluate(() => window.tonesPlayed);
  /** The list shows the message: by then the panel has weighed its alert (same update). */
  const listed = (name: string, text: string) =>
    waitFor(async () => (await conversationItem(page, name).getByTestId('conversation-preview').innerText()).includes(text), `${name}: "${text}" in the list`, 120_000);
  const titleIs = (title: string, what: string) => waitFor(async () => (await page.title()) === title, `${what}: the tab's title is "${title}"`, 30_000)
    .catch(async (err) => {
      throw new Error(`${(err as Error).message} (it is "${await page.title()}")`);
    });

  before(async () => {
    inbox = await startTestInbox({ kind: databaseKinds()[0]!, startWorkers: false });
    session = await inbox.login();
    const created = await api<{ id: string }>('POST', '/api/users', { email: 'laura@clinica.test', name: 'Laura Gómez', password: 'laura-long-password', role: 'agent' });
    laura = created.id;
    await writes(ANA, 'Quiero una cita', 'Ana Torres');
    await writes(BETO, 'Hola', 'Beto Díaz');
    await writes(CARLA, 'Buenas', 'Carla Ruiz');
    for (const [name, phone] of [['ana', ANA], ['beto', BETO], ['carla', CARLA]] as const) ids[name] = (await conversationOf(phone)).id;
    // Carla is Laura's: her messages alert Laura, not the admin.
    await api('PATCH', `/api/conversations/${ids.carla}`, { assigneeId: laura });
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
    await context.addInitScript(RECORD_ALERTS);
    page = await context.newPage();
    await logIn(page, inbox.baseUrl, ADMIN.email, ADMIN.password);
  });
  after(async () => {
    await browser?.close();
    await inbox?.close();
  });

  test('the permission is asked for only from the Alertas button, never on load', async () => {
    await page.reload();
    await page.getByTestId('conversation-list').waitFor();
    assert.equal(await page.evaluate(() => Notification.permission), 'default');
    await page.getByTestId('alerts-button').click();
    const dialog = page.getByTestId('alerts-dialog');
    await dialog.waitFor();
    assert.equal(await page.getByTestId('alerts-permission').getAttribute('data-permission'), 'default');
    assert.equal(await page.evaluate(() => window.permissionRequests), 0, 'nothing asked on load nor on opening the dialog');
    assert.ok(await page.getByTestId('alerts-desktop').isChecked(), 'desktop notifications on by default');
    assert.ok(await page.getByTestId('alerts-sound').isChecked(), 'sound on by default');

    // The user says yes in the browser's prompt.
    await context.grantPermissions(['notifications'], { origin: inbox.baseUrl });
    await page.getByTestId('alerts-enable').click();
    await waitFor(async () => (await page.getByTestId('alerts-permission').getAttribute('data-permission')) === 'granted', 'the dialog shows the permission granted');
    assert.equal(await page.evaluate(() => window.permissionRequests), 1, 'asked once, from the button');
    await page.getByTestId('alerts-dialog-close').click();
    await dialog.waitFor({ state: 'detached' });
  });

  test('a customer writes in an unassigned chat while another is open: one notification and a tone; the title counts it until it is read', async () => {
    // Read everything the admin may see first: Ana's chat open, then Beto's read.
    await conversationItem(page, 'Beto Díaz').click();
    await page.waitForURL(/\/c\//);
    await conversationItem(page, 'Ana Torres').click();
    await page.waitForURL(new RegExp(`/c/${ids.ana}$`));
    // Carla is Laura's, and unread: the admin's title counts her too.
    await titleIs('(1) wa-inbox', 'only Carla unread');
    const before = (await shown()).length;
    const tonesBefore = await tones();

    await writes(BETO, '¿Atienden el sábado?', 'Beto Díaz');
    await listed('Beto Díaz', '¿Atienden el sábado?');
    const beto = await conversationOf(BETO);
    const added = (await shown()).slice(before);
    assert.deepEqual(added, [{ title: 'Beto Díaz', body: '¿Atienden el sábado?', tag: beto.lastMessage!.id }], 'one notification: who, what; tagged with the message so two tabs make one');
    assert.ok((await tones()) > tonesBefore, 'a tone played');
    await titleIs('(2) wa-inbox', 'Beto unread');

    // Clicking the notification opens his chat; reading it brings the title back down.
    await page.evaluate(() => window.notificationObjects.at(-1)!.onclick!(new Event('click')));
    await page.waitForURL(new RegExp(`/c/${beto.id}$`));
    await titleIs('(1) wa-inbox', 'Beto read');
  });

  test('no alert for the chat on screen, nor in a conversation assigned to someone else', async () => {
    const before = (await shown()).length;
    await writes(BETO, 'Estoy viendo el chat', 'Beto Díaz');
    await listed('Beto Díaz', 'Estoy viendo el chat');
    await writes(CARLA, 'Soy de Laura', 'Carla Ruiz');
    await listed('Carla Ruiz', 'Soy de Laura');
    // Ana's chat is not open: her message alerts, and comes after the two above.
    await writes(ANA, 'Gracias', 'Ana Torres');
    await listed('Ana Torres', 'Gracias');
    assert.deepEqual((await shown()).slice(before).map((n) => [n.title, n.body]), [['Ana Torres', 'Gracias']]);
  });

  test('with the tab hidden, the open chat alerts too and stays unread until the tab shows again', async () => {
    // As when the user switches to another tab (text: the test's compiler would add helpers to a function).
    const setHidden = (hidden: boolean) => page.evaluate(`
      ${hidden ? "Object.defineProperty(document, 'visibilityState', { configurable: true, value: 'hidden' })" : 'delete document.visibilityState'};
      document.dispatchEvent(new Event('visibilitychange'));
    `);
    assert.ok(page.url().endsWith(`/c/${ids.beto}`), 'Beto\'s chat is open');
    await titleIs('(2) wa-inbox', 'Ana and Carla unread');
    const before = (await shown()).length;
    await setHidden(true);
    await writes(BETO, 'Le escribo mientras no mira', 'Beto Díaz');
    await listed('Beto Díaz', 'Le escribo mientras no mira');
    assert.deepEqual((await shown()).slice(before).map((n) => [n.title, n.body]), [['Beto Díaz', 'Le escribo mientras no mira']]);
    await titleIs('(3) wa-inbox', 'Beto unread while the tab is hidden');
    await setHidden(false);
    await titleIs('(2) wa-inbox', 'Beto read once the tab shows');
  });

  test('what a reconnect catches up on in bulk makes one summary, not one notification each', async () => {
    // The panel's connection to the server, held here so that it can be cut and refused.
    let down = false;
    const open = new Set<WebSocketRoute>();
    await page.route(/\/socket\.io\//, (route) => (down ? route.abort() : route.continue()));
    await page.routeWebSocket(/\/socket\.io\//, (ws) => {
      if (down) return void ws.close();
      ws.connectToServer();
      open.add(ws);
    });
    await page.reload();
    await page.getByTestId('conversation-list').waitFor();
    await waitFor(() => open.size > 0, 'the panel connected through the route', 60_000);

    down = true;
    for (const ws of open) await ws.close();
    await waitFor(async () => (await page.getByTestId('connection-banner').count()) > 0, 'the panel knows it is offline', 30_000);
    const customers = [['+573101000001', 'Diana'], ['+573101000002', 'Elena'], ['+573101000003', 'Fabio'], ['+573101000004', 'Gloria']];
    // The server's list updates leave in batches, up to one interval after a write: the panel must
    // come back after the last one, or it gets Gloria live (her own alert) before its catch-up.
    const watcher = await inbox.connectSocket(session.cookie);
    const live = record(watcher);
    for (const [phone, name] of customers) await writes(phone!, `Hola, soy ${name}`, name!);
    const sentLive = (phone: string) => live.batches.some((b) => b.update.conversations.some((c) => c.contact.phone === phone));
    await waitFor(() => customers.every(([phone]) => sentLive(phone!)), 'the server sent the four list updates', 30_000);
    watcher.disconnect();
    down = false;
    await waitFor(async () => (await shown()).some((n) => n.body === '4 mensajes nuevos de clientes'), 'the summary after the catch-up', 120_000)
      .catch(async (err) => {
        throw new Error(`${(err as Error).message} (shown: ${JSON.stringify(await shown())})`);
      });
    assert.deepEqual(await shown(), [{ title: 'wa-inbox', body: '4 mensajes nuevos de clientes', tag: 'wa-inbox-new-messages' }], 'one summary, nothing else');
    await page.unrouteAll({ behavior: 'ignoreErrors' });
  });

  test('desktop notifications turned off in Alertas stay off after a reload (kept on the server); the tone too', async () => {
    // The same user's other tab, its Alertas open, follows the change live.
    const otherTab = await context.newPage();
    await otherTab.goto(inbox.baseUrl + '/');
    await otherTab.getByTestId('alerts-button').click();
    await otherTab.getByTestId('alerts-dialog').waitFor();
    assert.ok(await otherTab.getByTestId('alerts-desktop').isChecked());

    await page.getByTestId('alerts-button').click();
    await page.getByTestId('alerts-desktop').click();
    await page.waitForFunction(() => {
      const box = document.querySelector<HTMLInputElement>('[data-testid="alerts-desktop"]');
      return box !== null && !box.checked && !box.disabled;
    });
    await page.getByTestId('alerts-sound').click();
    await page.waitForFunction(() => {
      const box = document.querySelector<HTMLInputElement>('[data-testid="alerts-sound"]');
      return box !== null && !box.checked && !box.disabled;
    });
    await otherTab.waitForFunction(() =>
      document.querySelector<HTMLInputElement>('[data-testid="alerts-desktop"]')?.checked === false
      && document.querySelector<HTMLInputElement>('[data-testid="alerts-sound"]')?.checked === false, undefined, { timeout: 30_000 });
    await otherTab.close();

    await page.reload();
    await page.getByTestId('conversation-list').waitFor();
    await page.getByTestId('alerts-button').click();
    assert.equal(await page.getByTestId('alerts-desktop').isChecked(), false, 'still off after the reload');
    assert.equal(await page.getByTestId('alerts-sound').isChecked(), false, 'still off after the reload');
    await page.getByTestId('alerts-dialog-close').click();
    await page.getByTestId('alerts-dialog').waitFor({ state: 'detached' });

    await writes(ANA, 'Otra pregunta', 'Ana Torres');
    await listed('Ana Torres', 'Otra pregunta');
    assert.deepEqual(await shown(), [], 'no notification (the page was reloaded: its record starts empty)');
    assert.equal(await tones(), 0, 'no tone');
    await titleIs('(6) wa-inbox', 'the title still counts Ana, Carla and the four who wrote during the outage');
  });
});
