// `npm start`: builds the panel when its files are missing, then runs the server (TypeScript via tsx),
// on PGlite in a process started with the memory settings (server-memory.mjs).
// .env first: whether DATABASE_URL is set decides the memory settings.
import 'dotenv/config';
import { restartWithMemorySettings } from './server-memory.mjs';

await restartWithMemorySettings();
const { register } = await import('tsx/esm/api');
const { buildPanel, panelIsBuilt } = await import('./build-panel.mjs');

if (!panelIsBuilt()) {
  console.log('Building the panel (web/dist is missing)...');
  buildPanel();
}
register();
await import('../src/server.ts');
