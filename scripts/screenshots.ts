// `npm run screenshots`: the README's pictures, taken from a believable clinic morning staged in
// demo mode (a fresh embedded database in a temporary folder, the in-process local Twilio), in
// Spanish, on a desktop and on a phone. Tests never write into docs/; only this script does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConversationDto, PageDto, TemplateDto } from '../src/contract/api.ts';
import { conversationItem, launchChromium, logIn } from '../test/browser/browser.ts';
import { startChildServer } from '../test/support/child-server.ts';
import { freePort } from '../test/support/inbox.ts';
import { buildPanel } from './build-panel.mjs';

const DOCS = fileURLToPath(new URL('../docs/', import.meta.url));
const ADMIN = { email: 'admin@clinica.example', password: 'una-clave-de-demostracion' };
const AGENT = { email: 'laura@clinica.example', name: 'Laura Gómez', password: 'otra-clave-de-demostracion' };

buildPanel();
const dataDir = mkdtempSync(join(tmpdir(), 'wa-screens-'));
const port = await freePort();
const server = await startChildServer({ PORT: String(port), DATA_DIR: dataDir, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'warn' });
const base = server.url;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function login(email: string, password: string) {
  const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${await res.text()}`);
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const answer = await fetch(base + path, {
      method, body: body === undefined ? undefined : JSON.stringify(body),
      headers: { cookie, 'x-csrf-token': csrfToken, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    });
    if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${await answer.text()}`);
    return (await answer.json()) as T;
  };
}

try {
  const admin = await login(ADMIN.email, ADMIN.password);
  await admin('POST', '/api/users', { email: AGENT.email, name: AGENT.name, password: AGENT.password, role: 'agent' });
  const laura = await login(AGENT.email, AGENT.password);
  const customer = (from: string, body: string, profileName: string) => admin('POST', '/api/demo/inbound', { from, body, profileName });
  const conversationOf = async (phone: string) =>
    (await admin<PageDto<ConversationDto>>('GET', '/api/conversations?limit=50')).items.find((c) => c.contact.phone === phone)!;
  // An agent answers from the chat, so the conversation is read.
  const reply = async (phone: string, body: string) => {
    const { id } = await conversationOf(phone);
    await laura('POST', `/api/conversations/${id}/read`);
    await laura('POST', `/api/conversations/${id}/messages`, { body });
  };
  const templates = (await admin<{ items: TemplateDto[] }>('GET', '/api/templates')).items;
  const reminder = templates.find((t) => t.name === 'recordatorio_examen')!;
  const results = templates.find((t) => t.name === 'resultados_listos')!;

  // The Wix site's morning reminders, sent straight through Twilio: captured from their callbacks.
  await admin('POST', '/api/demo/external-send', { to: '+573007771122', contentSid: reminder.sid, contentVariables: { 1: 'Luisa', 2: '3 de diciembre', 3: '8:00 a. m.' } });
  await admin('POST', '/api/demo/external-send', { to: '+573015556677', contentSid: results.sid, contentVariables: { 1: 'María', 2: 'periódico', 3: 'Chapinero' } });
  await customer('+573112223344', '¿Puedo enviar por aquí los documentos de la empresa?', 'Jorge Ramírez');
  await pause(400);
  await reply('+573112223344', 'Sí, Jorge. Envíelos en PDF y se los revisamos hoy mismo.');
  await customer('+573204445566', 'Necesito el certificado de aptitud laboral', 'Carlos Pérez');
  await customer('+573153369631', 'Buenos días, ¿a qué hora abren mañana para el examen de ingreso?', 'Ana María Rodríguez');
  await pause(400);
  await reply('+573153369631', 'Buenos días, Ana María. Abrimos a las 7:00 a. m.; el examen de ingreso no necesita cita.');
  await pause(2_000);
  await customer('+573153369631', '¡Perfecto! ¿Debo ir en ayunas?', 'Ana María Rodríguez');
  // Let the local Twilio walk the sends to delivered and read, and the outside texts be fetched.
  await pause(5_000);

  const browser = await launchChromium();
  try {
    const desktop = await browser.newPage({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
    await logIn(desktop, base, AGENT.email, AGENT.password);
    await conversationItem(desktop, 'Ana María').click();
    await desktop.getByTestId('message-bubble').filter({ hasText: 'ayunas' }).waitFor();
    await desktop.getByTestId('composer-input').fill('No es necesario; solo traiga su documento de identidad.');
    await pause(500);
    await desktop.screenshot({ path: join(DOCS, 'screenshot.png') });

    const phone = await browser.newPage({ locale: 'es-CO', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await logIn(phone, base, AGENT.email, AGENT.password);
    await pause(500);
    await phone.screenshot({ path: join(DOCS, 'screenshot-phone.png') });
    console.log(`Wrote ${join(DOCS, 'screenshot.png')} and ${join(DOCS, 'screenshot-phone.png')}`);
  } finally {
    await browser.close();
  }
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
