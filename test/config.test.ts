import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/env.ts';

test('defaults: port 8080, PGlite in ./data, demo mode without Twilio credentials', () => {
  const c = loadConfig({});
  assert.equal(c.port, 8080);
  assert.deepEqual(c.database, { kind: 'pglite', dataDir: './data' });
  assert.equal(c.twilio, null);
  assert.equal(c.baseUrl, 'http://localhost:8080');
});

test('every bad variable is reported at once, by name', () => {
  assert.throws(
    () => loadConfig({ PORT: 'abc', BASE_URL: 'not a url', TWILIO_ACCOUNT_SID: 'XY123', DATABASE_URL: 'mysql://x', TWILIO_WHATSAPP_FROM: '+57300' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, 'a ConfigError');
      for (const name of ['PORT', 'BASE_URL', 'TWILIO_ACCOUNT_SID', 'DATABASE_URL', 'TWILIO_WHATSAPP_FROM']) assert.match(err.message, new RegExp(name));
      return true;
    },
  );
});

test('credentials come in pairs and need a sender', () => {
  assert.throws(() => loadConfig({ TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32) }), /TWILIO_AUTH_TOKEN/);
  assert.throws(() => loadConfig({ TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32), TWILIO_AUTH_TOKEN: 'b'.repeat(32) }), /TWILIO_WHATSAPP_FROM or TWILIO_MESSAGING_SERVICE_SID/);
  const c = loadConfig({ TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32), TWILIO_AUTH_TOKEN: 'b'.repeat(32), TWILIO_WHATSAPP_FROM: 'whatsapp:+573001234567', BASE_URL: 'https://inbox.clinica.co/' });
  assert.equal(c.twilio?.whatsappFrom, 'whatsapp:+573001234567');
  assert.equal(c.baseUrl, 'https://inbox.clinica.co', 'a trailing slash would break signed URLs');
});
