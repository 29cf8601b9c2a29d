// `npm run dev`: the developer's loop in one command. Vite serves the panel with hot reload on PORT
// (what you open), and proxies /api and /socket.io to the server, which runs on a port of its own
// and restarts when its code changes. BASE_URL defaults to the Vite address, so Twilio's (or the
// local Twilio's) webhooks reach the server through the same proxy.
import 'dotenv/config';
import { spawn } from 'node:child_process';
import { createServer as createNetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { memorySettingsFor } from './server-memory.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? 'localhost';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port: p } = s.address();
      s.close(() => resolve(p));
    });
  });
}

const serverPort = await freePort();
const serverUrl = `http://127.0.0.1:${serverPort}`;
const memory = memorySettingsFor(process.env);
const server = spawn(process.execPath, [...memory.nodeFlags, '--import', 'tsx', '--watch', '--watch-preserve-output', 'src/server.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ...memory.env, PORT: String(serverPort), HOST: '127.0.0.1', BASE_URL: process.env.BASE_URL ?? `http://localhost:${port}` },
});

process.env.WA_DEV_SERVER_URL = serverUrl;
const vite = await createServer({
  configFile: `${root}web/vite.config.ts`,
  server: { port, strictPort: true, host },
});
await vite.listen();
console.log(`\n  Panel with hot reload: http://localhost:${port}  (server on ${serverUrl}, restarted on change)\n`);

let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  server.kill('SIGTERM');
  await vite.close().catch(() => {});
  process.exit(code);
}
server.once('exit', (code) => { if (!stopping) { console.error(`the server exited (${code}); stopping`); void stop(1); } });
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
