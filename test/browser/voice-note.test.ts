import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileTypeFromBuffer } from 'file-type';
import { waitFor } from '../support/inbox.ts';
import { chromiumSuite, conversationItem, fakeMicrophone } from './browser.ts';

const skip = process.env.WA_SKIP_BROWSER ? 'no Chromium here' : false;

// An agent answers a patient with a voice note: held on the microphone, recorded from Chromium's
// fake microphone, remuxed to Ogg in the panel, fetched by the local Twilio and delivered.
describe('voice notes from the composer in Chromium', { skip, timeout: 300_000 }, () => {
  const s = chromiumSuite({
    chromiumArgs: fakeMicrophone(),
    inbox: { lifecycle: { delayMs: 20, statuses: ['sent', 'delivered'] } },
    seed: async (inbox) => {
      await inbox.local.simulateInbound({ from: 'whatsapp:+573185550177', body: '¿Me explica por audio cómo llegar?', profileName: 'Paciente Audio' });
      await inbox.local.simulateInbound({ from: 'whatsapp:+573185550178', body: 'Gracias', profileName: 'Paciente Sin Ventana' });
      await waitFor(async () => (await inbox.db.query(`SELECT 1 FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE k.phone = '+573185550178'`)).rows.length === 1, 'the second patient recorded');
      await inbox.db.query(`UPDATE conversations SET last_inbound_at = now() - interval '3 days' WHERE contact_id = (SELECT id FROM contacts WHERE phone = '+573185550178')`);
    },
  });

  const sentVoiceNotes = async () =>
    (await s.inbox.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outgoing_media WHERE content_type = 'audio/ogg'`)).rows[0]!.n;
  const mic = () => s.page.getByTestId('voice-button');
  const recordingBar = () => s.page.getByTestId('voice-recording');
  // The text box is back once the note is recorded and its upload answered (or it was discarded).
  const composerIdle = () => s.page.getByTestId('composer-input').waitFor({ timeout: 60_000 });

  /** Presses the mouse on the microphone and waits until the recording runs. */
  async function pressMic() {
    const box = (await mic().boundingBox())!;
    await s.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await s.page.mouse.down();
    await recordingBar().waitFor();
    return box;
  }

  test('held about 2 s and released: an audio player in the chat, Twilio fetched an Ogg Opus file, delivered', async () => {
    await conversationItem(s.page, 'Paciente Audio').click();
    await s.page.locator('[data-testid="composer"][data-window="open"]').waitFor();
    // The microphone stands where the send arrow is until something is typed.
    await s.page.getByTestId('composer-input').fill('Hola');
    await s.page.getByTestId('send-button').waitFor();
    assert.equal(await mic().count(), 0);
    await s.page.getByTestId('composer-input').fill('');
    await mic().waitFor();
    assert.equal(await s.page.getByTestId('send-button').isVisible(), false);

    const pressed = Date.now();
    await pressMic();
    await s.page.getByTestId('voice-clock').filter({ hasText: '0:01' }).waitFor();
    assert.equal(await s.page.getByTestId('composer-input').isVisible(), false, 'the recording bar takes the text box\'s place');
    await s.page.waitForTimeout(1_000); // keep holding: about 2 s of voice
    await s.page.mouse.up();
    // How long the button was held, as this side saw it: a slow machine holds it longer than 2 s.
    const held = (Date.now() - pressed) / 1000;

    const bubble = s.page.locator('[data-testid="message-bubble"][data-status="delivered"]', { has: s.page.locator('[data-testid="message-media"][data-kind="audio"]') });
    await bubble.waitFor({ timeout: 60_000 });
    await composerIdle();
    assert.equal(await recordingBar().count(), 0, 'the recording bar is gone');

    const { rows } = await s.inbox.db.query<{ content_type: string; filename: string; status: string }>(
      `SELECT o.content_type, o.filename, m.status FROM outgoing_media o JOIN messages m ON m.id = o.message_id ORDER BY m.created_at DESC LIMIT 1`,
    );
    assert.equal(rows[0]!.content_type, 'audio/ogg');
    assert.match(rows[0]!.filename, /^nota-de-voz-\d{8}-\d{6}\.ogg$/);
    assert.equal(rows[0]!.status, 'delivered');
    const atTwilio = s.inbox.local.messages().filter((m) => m.direction === 'outbound-api' && m.media.length).at(-1)!;
    assert.equal(atTwilio.media[0]!.contentType, 'audio/ogg', 'the public link said audio/ogg');
    assert.match(atTwilio.media[0]!.sourceUrl!, /\/media\/out\//);
    assert.deepEqual(await fileTypeFromBuffer(atTwilio.media[0]!.bytes), { ext: 'opus', mime: 'audio/ogg; codecs=opus' }, 'the bytes Twilio fetched are Ogg Opus');

    // The player knows how long the note is.
    const audio = bubble.locator('audio');
    assert.match((await audio.getAttribute('src'))!, /^\/api\/media\//);
    // Its end is read through a byte range (an Ogg's length is in its last page).
    await waitFor(() => audio.evaluate((a: HTMLAudioElement) => a.readyState >= 1 && Number.isFinite(a.duration)), 'the player read the note\'s length', 30_000);
    const seconds = await audio.evaluate((a: HTMLAudioElement) => a.duration);
    assert.ok(seconds > 1.5 && seconds < held + 0.5, `the player shows about the ${held} s held (${seconds})`);
  });

  test('slid away from the microphone or Escape: nothing is sent', async () => {
    const before = await sentVoiceNotes();
    const box = await pressMic();
    await s.page.mouse.move(box.x - 150, box.y + box.height / 2, { steps: 5 });
    await recordingBar().waitFor({ state: 'detached' });
    await s.page.mouse.up();

    await pressMic();
    await s.page.keyboard.press('Escape');
    await recordingBar().waitFor({ state: 'detached' });
    await s.page.mouse.up();
    await composerIdle();
    assert.equal(await s.page.getByTestId('voice-sending').count(), 0);
    assert.equal(await sentVoiceNotes(), before);
  });

  test('a tap explains that the microphone is held; nothing is sent', async () => {
    const before = await sentVoiceNotes();
    await mic().click();
    const notice = s.page.getByTestId('voice-notice');
    await notice.waitFor();
    assert.match(await notice.innerText(), /Mantenga pulsado el micrófono/);
    assert.equal(await sentVoiceNotes(), before);
  });

  test('from the keyboard: Enter starts, Enter again sends', async () => {
    const before = await sentVoiceNotes();
    await mic().focus();
    await s.page.keyboard.press('Enter');
    await recordingBar().waitFor();
    assert.match(await recordingBar().innerText(), /Pulse Enter para enviar/);
    await s.page.getByTestId('voice-clock').filter({ hasText: '0:01' }).waitFor();
    assert.equal(await mic().getAttribute('aria-label'), 'Enviar la nota de voz', 'the next press sends');
    await s.page.keyboard.press('Enter');
    await waitFor(async () => (await sentVoiceNotes()) === before + 1, 'the voice note sent', 60_000);
    await composerIdle();
  });

  test('an upload that fails keeps the note: Reintentar sends it, the bin discards it', async () => {
    const before = await sentVoiceNotes();
    // The network drops the voice note's upload (a multipart POST); text sends are not touched.
    let dropped = 0;
    const upload = '**/api/conversations/*/messages';
    await s.page.route(upload, (route) => {
      if (route.request().method() === 'POST' && /multipart/.test(route.request().headers()['content-type'] ?? '')) {
        dropped++;
        return route.abort('connectionreset');
      }
      return route.continue();
    });
    try {
      await pressMic();
      await s.page.getByTestId('voice-clock').filter({ hasText: '0:01' }).waitFor();
      await s.page.mouse.up();
      const unsent = s.page.getByTestId('voice-unsent');
      await unsent.waitFor({ timeout: 60_000 });
      assert.match(await unsent.innerText(), /Nota de voz sin enviar \(0:0[1-3]\)/);
      assert.match(await s.page.getByTestId('voice-notice').innerText(), /No hay conexión con el servidor/);
      assert.equal(await s.page.getByTestId('voice-button').count(), 0, 'no new recording over a kept one');
      assert.equal(dropped, 1);
      assert.equal(await sentVoiceNotes(), before, 'nothing stored');

      // Still failing: kept again.
      await s.page.getByTestId('voice-retry').click();
      await waitFor(() => dropped === 2, 'the retry was uploaded');
      await unsent.waitFor();
      await s.page.unroute(upload);

      await s.page.getByTestId('voice-retry').click();
      await waitFor(async () => (await sentVoiceNotes()) === before + 1, 'the kept voice note sent', 60_000);
      await composerIdle();
      assert.equal(await unsent.count(), 0);
      assert.equal(await s.page.getByTestId('voice-notice').count(), 0, 'the failure notice is gone');
      // Stored at the upload, sent once Twilio answers: wait for its status to reach sent.
      const atTwilio = async () => (await s.inbox.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages m JOIN outgoing_media o ON o.message_id = m.id WHERE o.content_type = 'audio/ogg' AND m.status IN ('sent', 'delivered')`)).rows[0]!.n;
      await waitFor(async () => (await atTwilio()) === before + 1, 'the retried note went to Twilio', 60_000);

      // Failed again, then discarded with the bin: nothing is sent.
      await s.page.route(upload, (route) => (route.request().method() === 'POST' ? route.abort('connectionreset') : route.continue()));
      await pressMic();
      await s.page.getByTestId('voice-clock').filter({ hasText: '0:01' }).waitFor();
      await s.page.mouse.up();
      await unsent.waitFor({ timeout: 60_000 });
      await unsent.getByTestId('voice-cancel').click();
      await composerIdle();
      assert.equal(await unsent.count(), 0);
      assert.equal(await s.page.getByTestId('voice-notice').count(), 0);
      assert.equal(await sentVoiceNotes(), before + 1);
    } finally {
      await s.page.unroute(upload);
    }
  });

  test('on a phone (390 × 844) the microphone is in reach and a hold sends', async () => {
    await s.page.setViewportSize({ width: 390, height: 844 });
    try {
      await mic().waitFor();
      const box = (await mic().boundingBox())!;
      assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= 390 && box.y + box.height <= 844, 'inside the screen');
      assert.equal(await mic().evaluate((el) => {
        const r = el.getBoundingClientRect();
        return el.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2));
      }), true, 'nothing covers it');
      const before = await sentVoiceNotes();
      await pressMic();
      await s.page.getByTestId('voice-clock').filter({ hasText: '0:01' }).waitFor();
      await s.page.mouse.up();
      await waitFor(async () => (await sentVoiceNotes()) === before + 1, 'the voice note sent', 60_000);
      await composerIdle();
    } finally {
      await s.page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  test('a refused microphone says so in Spanish, and nothing is recorded', async () => {
    await s.page.evaluate(() => {
      navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
    });
    await mic().focus();
    await s.page.keyboard.press('Enter');
    const notice = s.page.getByTestId('voice-notice');
    await notice.filter({ hasText: 'El navegador no dejó usar el micrófono' }).waitFor();
    assert.equal(await notice.getAttribute('role'), 'alert');
    assert.equal(await recordingBar().count(), 0);
  });

  test('no microphone for an internal note, nor outside the 24-hour window (templates only)', async () => {
    await s.page.getByTestId('note-toggle').check();
    await s.page.getByTestId('send-button').waitFor();
    assert.equal(await mic().count(), 0);
    await s.page.getByTestId('note-toggle').uncheck();
    await mic().waitFor();

    await conversationItem(s.page, 'Paciente Sin Ventana').click();
    await s.page.locator('[data-testid="composer"][data-window="closed"]').waitFor();
    assert.equal(await mic().count(), 0);
    assert.equal(await s.page.getByTestId('send-button').isDisabled(), true);
  });
});
