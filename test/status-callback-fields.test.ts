import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readStatusCallback, statusCallback } from '../src/http/routes/twilio-webhooks.ts';

// The route reads a status callback's fields by hand and leaves the rest to the zod schema: the
// hand check must accept nothing the schema refuses, and give back the same fields.
const CHOICES: Record<string, (string | undefined)[]> = {
  MessageSid: ['SM' + 'ab'.repeat(16), 'MM' + 'AB'.repeat(16), 'SM' + 'a'.repeat(31), 'SM' + 'g'.repeat(32), 'XX' + 'a'.repeat(32), '', ' SM' + 'a'.repeat(32), undefined],
  MessageStatus: ['sent', 'delivered', 'read', 'undelivered', 'partially_delivered', 'Sent', 'bogus', '', 'toString', '__proto__', undefined],
  To: ['whatsapp:+573001234567', '+573001234567', 'whatsapp: +573001234567 ', 'whatsapp:+5730', 'not-a-phone', '', 'whatsapp:+57' + '1'.repeat(60), undefined],
  From: ['whatsapp:+14155238886', 'x', '', 'f'.repeat(64), 'f'.repeat(65), undefined],
  ErrorCode: ['63024', '0', '1234567', '', '12a', ' 1', undefined],
  ChannelStatusMessage: ['Invalid recipient', '', 'é'.repeat(2000), 'é'.repeat(2001), undefined],
  MessagingServiceSid: ['MG' + 'a'.repeat(32), '', 'm'.repeat(65), undefined],
  SmsStatus: ['sent', '', undefined],
};

function random(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
}

test('the hand check of a status callback accepts exactly what the schema accepts, with the same fields', () => {
  const r = random(16);
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    const params: Record<string, string> = {};
    for (const [key, values] of Object.entries(CHOICES)) {
      // Mostly valid values (the first ones), so both verdicts are common.
      const v = values[r() < 0.7 ? Math.floor(r() * 2) : Math.floor(r() * values.length)];
      if (v !== undefined) params[key] = v;
    }
    let expected: unknown;
    try {
      expected = statusCallback.parse(params);
    } catch {
      assert.throws(() => readStatusCallback(params), JSON.stringify(params));
      continue;
    }
    accepted++;
    const got = readStatusCallback(params);
    for (const key of Object.keys(CHOICES)) assert.equal(got[key], (expected as Record<string, unknown>)[key], `${key} of ${JSON.stringify(params)}`);
  }
  assert.ok(accepted > 1000 && accepted < 19_000, `both verdicts are tried (${accepted} accepted)`);
});

test('a body that is no object of strings goes to the schema, which refuses it', () => {
  for (const params of [{}, { MessageSid: ['SM' + 'a'.repeat(32)], MessageStatus: 'sent', To: '+573001234567' }, { MessageSid: 'SM' + 'a'.repeat(32), MessageStatus: 'sent', To: '+573001234567', From: 5 }]) {
    assert.throws(() => readStatusCallback(params as Record<string, unknown>));
  }
});
