// Runs the local Twilio on its own: `node --import tsx src/twilio/local/main.ts`.
// Point wa-inbox at it with TWILIO_API_URL=http://127.0.0.1:4010 and the same credentials, and
// drive it with the /_local/ control API (same basic auth), e.g.
//   curl -u "$TWILIO_ACCOUNT_SID:$TWILIO_AUTH_TOKEN" -H 'content-type: application/json' \
//        -d '{"from":"whatsapp:+573001234567","body":"Hola"}' http://127.0.0.1:4010/_local/inbound
import { randomBytes } from 'node:crypto';
import { startLocalTwilio } from './server.ts';
import { isWhatsappAddress } from '../../messages/addresses.ts';

const ACCOUNT_SID = /^AC[0-9a-f]{32}$/;
const MESSAGING_SERVICE_SID = /^MG[0-9a-f]{32}$/;

/** Reads the environment; every bad variable is reported at once. */
function readEnv(env: NodeJS.ProcessEnv) {
  const problems: string[] = [];
  const port = Number(env.LOCAL_TWILIO_PORT ?? 4010);
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`LOCAL_TWILIO_PORT must be a port number, got "${env.LOCAL_TWILIO_PORT}"`);
  if (!env.TWILIO_ACCOUNT_SID !== !env.TWILIO_AUTH_TOKEN) problems.push('set both TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or neither (then both are generated)');
  const accountSid = env.TWILIO_ACCOUNT_SID || 'AC' + randomBytes(16).toString('hex');
  if (!ACCOUNT_SID.test(accountSid)) problems.push('TWILIO_ACCOUNT_SID must be AC followed by 32 lowercase hex digits');
  const authToken = env.TWILIO_AUTH_TOKEN || randomBytes(16).toString('hex');
  const messagingServiceSid = env.TWILIO_MESSAGING_SERVICE_SID || undefined;
  if (messagingServiceSid && !MESSAGING_SERVICE_SID.test(messagingServiceSid)) problems.push('TWILIO_MESSAGING_SERVICE_SID must be MG followed by 32 lowercase hex digits');
  // One number, or several separated by commas (the account's WhatsApp senders, the first first).
  const numbers = (env.TWILIO_WHATSAPP_FROM ?? '').split(',').map((n) => n.trim()).filter(Boolean);
  if (numbers.some((n) => !isWhatsappAddress(n))) problems.push('TWILIO_WHATSAPP_FROM must look like whatsapp:+573001234567 (several separated by commas)');
  const [whatsappFrom, ...moreSenders] = numbers;
  for (const key of ['STATUS_CALLBACK_URL', 'INBOUND_URL', 'LOCAL_TWILIO_PUBLIC_URL'] as const) {
    const value = env[key];
    if (value && !/^https?:\/\//.test(value)) problems.push(`${key} must be an http(s) URL`);
  }
  const delay = env.LOCAL_TWILIO_DELAY_MS ? Number(env.LOCAL_TWILIO_DELAY_MS) : undefined;
  if (delay !== undefined && !(delay >= 0)) problems.push('LOCAL_TWILIO_DELAY_MS must be a number of milliseconds');
  if (problems.length) throw new Error(`Invalid environment variables:\n  - ${problems.join('\n  - ')}`);
  return {
    port,
    host: env.LOCAL_TWILIO_HOST || '127.0.0.1',
    publicUrl: env.LOCAL_TWILIO_PUBLIC_URL || undefined,
    accountSid,
    authToken,
    messagingServiceSid,
    whatsappFrom,
    moreSenders,
    statusCallbackUrl: env.STATUS_CALLBACK_URL || undefined,
    inboundUrl: env.INBOUND_URL || undefined,
    lifecycle: delay === undefined ? undefined : { delayMs: delay },
    generatedCredentials: !env.TWILIO_ACCOUNT_SID,
  };
}

async function main() {
  let settings;
  try {
    settings = readEnv(process.env);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
  const { generatedCredentials, ...options } = settings;
  const local = await startLocalTwilio({ ...options, logger: console });
  console.log(`Local Twilio at ${local.url}`);
  console.log(`  account ${local.accountSid}, messaging service ${local.messagingServiceSid}, sender${local.whatsappSenders.length > 1 ? 's' : ''} ${local.whatsappSenders.join(', ')}`);
  // Printed so a generated token can be copied into wa-inbox's env; a chosen one is never printed.
  if (generatedCredentials) console.log(`  generated credentials: TWILIO_ACCOUNT_SID=${local.accountSid} TWILIO_AUTH_TOKEN=${local.authToken}`);
  console.log(`  status callbacks -> ${options.statusCallbackUrl ?? '(none set)'}; inbound -> ${options.inboundUrl ?? '(none set)'}`);

  const stop = async (signal: string) => {
    console.log(`${signal}: stopping the local Twilio`);
    await local.close().catch((err) => console.error(err));
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
