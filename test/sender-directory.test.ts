import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../src/config/env.ts';
import { isWhatsappAddress } from '../src/messages/addresses.ts';
import { senderDirectory } from '../src/messages/senders.ts';
import { pickedSenderColour, SENDER_PALETTE, textColourOn } from '../src/contract/sender-colours.ts';

const A = 'whatsapp:+573001234567';
const B = 'whatsapp:+573007654321';
const C = 'whatsapp:+14155238886';
const MG = 'MG' + 'a'.repeat(32);
const creds = { TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32), TWILIO_AUTH_TOKEN: 'b'.repeat(32) };

test('TWILIO_WHATSAPP_FROM takes several numbers, comma-separated: the first is whatsappFrom; a bad one is named', () => {
  const c = loadConfig({ ...creds, TWILIO_WHATSAPP_FROM: ` ${A}, ${B},${A}` });
  assert.equal(c.twilio?.whatsappFrom, A);
  assert.deepEqual(c.twilio?.whatsappSenders, [A, B]);
  assert.throws(() => loadConfig({ ...creds, TWILIO_WHATSAPP_FROM: `${A},+573001` }), /TWILIO_WHATSAPP_FROM.*"\+573001"/s);
  assert.throws(() => loadConfig({ ...creds, TWILIO_WHATSAPP_FROM: ' , ' }), /TWILIO_WHATSAPP_FROM/);
});

test('which messages are ours: our numbers, or our Messaging Service; with neither configured, any WhatsApp number', () => {
  const d = senderDirectory({ configured: [A], inService: [B], messagingServiceSid: MG });
  assert.equal(d.isOurs(A, null), true);
  assert.equal(d.isOurs(B, null), true);
  assert.equal(d.isOurs(C, null), false);
  assert.equal(d.isOurs(C, MG), true, 'a number the service gained after we started');
  assert.equal(d.isOurs(null, MG), true, 'a service message before Twilio picked its number');
  assert.equal(d.isOurs(null, 'MG' + 'b'.repeat(32)), false);
  const none = senderDirectory({ configured: [], inService: [], messagingServiceSid: null });
  assert.equal(none.isOurs(C, null), true);
  assert.equal(none.isOurs('+14155238886', null), false);
});

test('a message naming none of our numbers belongs to the default one: the first configured, else the service\'s first', () => {
  assert.equal(senderDirectory({ configured: [A, B], inService: [C], messagingServiceSid: MG }).addressFor(null), A);
  assert.equal(senderDirectory({ configured: [], inService: [C, B], messagingServiceSid: MG }).addressFor('not-an-address'), C);
  assert.equal(senderDirectory({ configured: [A], inService: [], messagingServiceSid: null }).addressFor(B), B);
});

test('a reply goes through the service (with From) when its number is in it, or when it is not one of TWILIO_WHATSAPP_FROM\'s', () => {
  const d = senderDirectory({ configured: [A, B], inService: [B, C], messagingServiceSid: MG });
  assert.deepEqual(d.sendingFrom(A), { from: A, messagingServiceSid: null });
  assert.deepEqual(d.sendingFrom(B), { from: B, messagingServiceSid: MG });
  assert.deepEqual(d.sendingFrom(C), { from: C, messagingServiceSid: MG });
  assert.deepEqual(senderDirectory({ configured: [A], inService: [], messagingServiceSid: null }).sendingFrom(A), { from: A, messagingServiceSid: null });
});

test('picked colours are stable per number and readable: white text on each at 4.5:1 or more; light colours get black text', () => {
  assert.equal(pickedSenderColour(A), pickedSenderColour(A));
  for (const colour of SENDER_PALETTE) assert.equal(textColourOn(colour), '#fff', colour);
  assert.equal(textColourOn('#ffff00'), '#000');
  assert.equal(textColourOn('#000000'), '#fff');
});

test('one rule for a WhatsApp address (config, senders, local Twilio): whatsapp: then an E.164 phone, nothing around it', () => {
  for (const ok of [A, C, 'whatsapp:+1234567', 'whatsapp:+123456789012345']) assert.equal(isWhatsappAddress(ok), true, ok);
  for (const bad of [null, undefined, '', '+573001234567', 'whatsapp:573001234567', 'whatsapp:+0573001234567', 'whatsapp:+123456',
    'whatsapp:+1234567890123456', ` ${A}`, `${A} `, `${A}\n`, 'WhatsApp:+573001234567', 'whatsapp:+57 300 1234567', 'messenger:+573001234567']) {
    assert.equal(isWhatsappAddress(bad), false, String(bad));
  }
  // The directory ignores what is not one: a report naming it lands on the default number.
  const d = senderDirectory({ configured: [A, 'whatsapp:+57 300'], inService: [], messagingServiceSid: null });
  assert.deepEqual(d.configured, [A]);
  assert.equal(d.addressFor('whatsapp:+57300'), A);
});
