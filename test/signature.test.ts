import assert from 'node:assert/strict';
import { test } from 'node:test';
import twilio from 'twilio';
import { verifyTwilioSignature } from '../src/twilio/signature.ts';

const TOKEN = '0123456789abcdef0123456789abcdef';
const PARAMS = { MessageSid: 'SM' + 'b'.repeat(32), MessageStatus: 'delivered', To: 'whatsapp:+573001234567', Body: 'ñ & ✅' };
const sign = (url: string, params: Record<string, string> = PARAMS, token = TOKEN) => twilio.getExpectedTwilioSignature(token, url, params);

test('the URL exactly as configured, with or without a port', () => {
  for (const url of ['https://inbox.example.co/api/whatsapp/status?mid=1', 'http://127.0.0.1:3000/api/whatsapp/status']) {
    assert.equal(verifyTwilioSignature(TOKEN, sign(url), url, PARAMS), true, url);
  }
});

test('the variants twilio.validateRequest accepts still pass: Twilio signed without the port, or with the default one', () => {
  assert.equal(verifyTwilioSignature(TOKEN, sign('https://inbox.example.co/api/whatsapp/status'), 'https://inbox.example.co:443/api/whatsapp/status', PARAMS), true);
  assert.equal(verifyTwilioSignature(TOKEN, sign('https://inbox.example.co:443/api/whatsapp/status'), 'https://inbox.example.co/api/whatsapp/status', PARAMS), true);
});

test('anything else is refused: other token, URL, query, parameters, a truncated or empty signature', () => {
  const url = 'https://inbox.example.co/api/whatsapp/status?mid=1';
  const good = sign(url);
  assert.equal(verifyTwilioSignature(TOKEN, sign(url, PARAMS, 'f'.repeat(32)), url, PARAMS), false);
  assert.equal(verifyTwilioSignature(TOKEN, good, 'https://inbox.example.co/api/whatsapp/incoming?mid=1', PARAMS), false);
  assert.equal(verifyTwilioSignature(TOKEN, good, 'https://inbox.example.co/api/whatsapp/status?mid=2', PARAMS), false);
  assert.equal(verifyTwilioSignature(TOKEN, good, url, { ...PARAMS, MessageStatus: 'read' }), false);
  assert.equal(verifyTwilioSignature(TOKEN, good.slice(0, -2), url, PARAMS), false);
  assert.equal(verifyTwilioSignature(TOKEN, '', url, PARAMS), false);
  assert.equal(verifyTwilioSignature(TOKEN, undefined, url, PARAMS), false);
});
