import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MalformedBodyError, parseForm } from '../src/http/form-parser.ts';

// Twilio's bodies are all ASCII (%-encoded) and take the string path; a body with raw non-ASCII
// bytes takes the byte path. Both must read every body alike and refuse the same ones.
const RAW_PAIR = Buffer.from('zz=\u00e9', 'utf8'); // a raw UTF-8 byte pair: forces the byte path
const bytePath = (body: string) => {
  const parsed = parseForm(Buffer.concat([Buffer.from(body + '&', 'latin1'), RAW_PAIR]));
  assert.equal(parsed.zz, 'é');
  delete parsed.zz;
  return parsed;
};

test('Twilio-shaped bodies read alike on both paths, and as URLSearchParams reads them', () => {
  const samples: Record<string, string>[] = [
    { MessageSid: 'SM' + 'a'.repeat(32), MessageStatus: 'read', To: 'whatsapp:+573001234567', From: 'whatsapp:+14155238886' },
    { Body: '¿Qué es? ✅ 🇨🇴 100% + más & menos = "todo"', ProfileName: 'José Ñúñez', Empty: '' },
    { Body: '\ufeffcon BOM al principio', 'Media Url0': 'https://example.com/a?b=c&d=e' },
  ];
  for (const params of samples) {
    const body = new URLSearchParams(params).toString();
    assert.deepEqual(parseForm(Buffer.from(body)), params);
    assert.deepEqual(bytePath(body), params);
  }
  // %20 and + are both spaces; a key without = has an empty value; empty pairs are skipped; the last repeat wins.
  for (const read of [parseForm, bytePath]) {
    assert.deepEqual(read('a=1%202+3&flag&&b=x&b=y'), { a: '1 2 3', flag: '', b: 'y' });
  }
});

test('broken escapes, invalid UTF-8 and NUL are refused on both paths', () => {
  const refused = ['a=%', 'a=%z1', 'a=%4', 'a=%FF', 'a=%C3', 'a=%C0%AF' /* overlong */, 'a=%ED%A0%80' /* surrogate */, 'a=%00', 'a=x\u0000y', '%FF=1'];
  for (const body of refused) {
    assert.throws(() => parseForm(Buffer.from(body, 'latin1')), MalformedBodyError, `string path: ${body}`);
    assert.throws(() => bytePath(body), MalformedBodyError, `byte path: ${body}`);
  }
  // Raw bytes that are not UTF-8 at all.
  assert.throws(() => parseForm(Buffer.from([0x61, 0x3d, 0xff, 0xfe])), MalformedBodyError);
});

test('a key named __proto__ is a plain key, not the prototype', () => {
  const parsed = parseForm(Buffer.from('__proto__=x&a=1'));
  assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value, 'x');
});

test('random bodies read alike on both paths: repeated keys, numeric keys, escapes, empty pairs', () => {
  let seed = 7;
  const r = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const pieces = ['a', 'B', '0', '12', '__proto__', 'constructor', '%41', '%2B', '+', '%C3%A9', '%E2%9C%85', '%F0%9F%87%A8', '~', '.', '-', '*', '%25', '%26', '%3D'];
  const part = () => Array.from({ length: Math.floor(r() * 4) }, () => pieces[Math.floor(r() * pieces.length)]).join('');
  for (let i = 0; i < 5_000; i++) {
    const body = Array.from({ length: Math.floor(r() * 8) }, () => (r() < 0.1 ? '' : r() < 0.15 ? part() : `${part()}=${part()}`)).join('&');
    const parsed = parseForm(Buffer.from(body, 'latin1'));
    assert.deepEqual(bytePath(body), parsed, body);
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype, body);
    // As URLSearchParams reads it, the last of a repeated key kept.
    const expected: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(body)) Object.defineProperty(expected, k, { value: v, writable: true, enumerable: true, configurable: true });
    assert.deepEqual(parsed, expected, body);
  }
});
