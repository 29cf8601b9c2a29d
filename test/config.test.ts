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

test('TRUST_PROXY: off by default; true/false, or proxy addresses and CIDRs as Fastify takes them', () => {
  assert.equal(loadConfig({}).trustProxy, false, 'no X-Forwarded-For is believed unless set');
  assert.equal(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, false);
  assert.equal(loadConfig({ TRUST_PROXY: 'TRUE' }).trustProxy, true);
  assert.equal(loadConfig({ TRUST_PROXY: '127.0.0.1' }).trustProxy, '127.0.0.1');
  assert.equal(
    loadConfig({ TRUST_PROXY: ' 127.0.0.1, 10.0.0.0/8,::1 , fd00::/8, 192.168.1.0/255.255.255.0, loopback' }).trustProxy,
    '127.0.0.1,10.0.0.0/8,::1,fd00::/8,192.168.1.0/255.255.255.0,loopback',
  );
});

test('TRUST_PROXY: a typo is a config error naming it, reported with the other bad variables', () => {
  for (const bad of ['127.0.0.256', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/0', '1.2.3', 'nginx', '127.0.0.1,', '127.0.0.1;10.0.0.1', '10.0.0.0/255.0.255.0', 'yes', '2', '::1/abc']) {
    assert.throws(() => loadConfig({ TRUST_PROXY: bad }), (err: unknown) => {
      assert.ok(err instanceof ConfigError, `${bad}: a ConfigError`);
      assert.match(err.message, /TRUST_PROXY/, bad);
      return true;
    });
  }
  assert.throws(() => loadConfig({ TRUST_PROXY: '10.0.0.1, 10.0.0.300', PORT: 'abc' }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /TRUST_PROXY: not a proxy address or CIDR: "10\.0\.0\.300"/);
    assert.match(err.message, /PORT/, 'every bad variable at once');
    return true;
  });
  assert.throws(() => loadConfig({ TRUST_PROXY: '1' }), /TRUST_PROXY: a hop count is not supported/);
});
