import { after, before } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { databaseKinds } from '../support/databases.ts';
import { ADMIN, startTestInbox, type TestInbox } from '../support/inbox.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A microphone without a microphone: Chromium grants it without asking and feeds it a beep, so recording can be tested headless. */
export function fakeMicrophone(): string[] {
  return ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'];
}

/** Debian's Chromium, headless, with the flags this network-less machine needs (and `extraArgs`). Never downloads a browser. */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', ...extraArgs],
  });
}

export async function logIn(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(baseUrl + '/');
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('conversation-list').waitFor();
}

export function conversationItem(page: Page, name: string) {
  return page.getByTestId('conversation-item').filter({ hasText: name });
}

/** What a browser suite works with, filled in before its first test. */
export interface ChromiumSuite {
  inbox: TestInbox;
  browser: Browser;
  /** Signed in as the admin, in Spanish, 1280 × 800. */
  page: Page;
}

/**
 * For a describe(): a test inbox (on the run's first database), Chromium and a page signed in as
 * the admin, started before the suite's tests (after `seed`, which may write what the page should
 * find) and closed after them.
 */
export function chromiumSuite(o: {
  inbox?: Omit<Parameters<typeof startTestInbox>[0], 'kind'>;
  seed?(inbox: TestInbox): Promise<void>;
  /** More Chromium flags, e.g. fakeMicrophone(). */
  chromiumArgs?: readonly string[];
} = {}): ChromiumSuite {
  const suite = {} as ChromiumSuite;
  before(async () => {
    suite.inbox = await startTestInbox({ kind: databaseKinds()[0]!, startWorkers: false, ...o.inbox });
    await o.seed?.(suite.inbox);
    suite.browser = await launchChromium(o.chromiumArgs);
    suite.page = await suite.browser.newPage({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
    await logIn(suite.page, suite.inbox.baseUrl, ADMIN.email, ADMIN.password);
  });
  after(async () => {
    await suite.browser?.close();
    await suite.inbox?.close();
  });
  return suite;
}
