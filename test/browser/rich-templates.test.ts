import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { chromiumSuite, conversationItem } from './browser.ts';

const skip = process.env.WA_SKIP_BROWSER ? 'no Chromium here' : false;

// The template picker draws each rich type as WhatsApp will: the media header, a card's title and
// subtitle, and the buttons, with the agent's values filled in live; and the card goes out.
describe('rich templates in the picker, in Chromium', { skip, timeout: 180_000 }, () => {
  const s = chromiumSuite({
    seed: (inbox) => inbox.local.simulateInbound({ from: 'whatsapp:+573208880001', body: 'Buenos días', profileName: 'Rica Plantilla' }).then(() => {}),
  });
  before(async () => {
    await conversationItem(s.page, 'Rica Plantilla').click();
    await s.page.getByTestId('open-templates').click();
  });

  const choose = async (name: string) => {
    await s.page.getByTestId('template-option').filter({ hasText: name }).click();
    return s.page.getByTestId('template-preview');
  };
  const fill = async (values: string[]) => {
    const vars = s.page.getByTestId('template-variable');
    for (let i = 0; i < values.length; i++) await vars.nth(i).fill(values[i]!);
  };

  test('quick replies and calls to action show as buttons under the text', async () => {
    const quick = await choose('confirmar_cita');
    assert.equal(await quick.getAttribute('data-kind'), 'twilio/quick-reply');
    assert.deepEqual(await quick.getByTestId('template-preview-action').allInnerTexts(), ['↩ Confirmo', '↩ Reprogramar', '↩ Cancelar cita']);
    const cta = await choose('portal_resultados');
    assert.deepEqual(await cta.getByTestId('template-preview-action').evaluateAll((els) => els.map((e) => e.getAttribute('data-type'))), ['URL', 'PHONE_NUMBER']);
  });

  test('a media header shows its file with the value that completes its URL', async () => {
    const media = await choose('certificado_aptitud');
    await fill(['Ana', 'certificado-ana-2026.pdf']);
    assert.match(await media.getByTestId('template-preview-media').innerText(), /certificado-ana-2026\.pdf/);
    assert.match(await media.innerText(), /Hola Ana, adjuntamos su certificado/);
  });

  test('a card shows its image, title, subtitle and buttons, and goes out', async () => {
    const card = await choose('jornada_salud');
    await fill(['sábado 12', 'Chapinero']);
    assert.equal(await card.getByTestId('template-preview-title').innerText(), 'Jornada de salud ocupacional');
    assert.match(await card.innerText(), /Este sábado 12 en la sede Chapinero/);
    assert.equal(await card.getByTestId('template-preview-media').count(), 1);
    assert.equal(await card.getByTestId('template-preview-action').count(), 2);
    await s.page.getByTestId('template-send').click();
    await s.page.getByTestId('message-bubble').filter({ hasText: 'Este sábado 12 en la sede Chapinero' }).waitFor({ timeout: 10_000 });
  });
});
