// `npm start`: builds the panel when its files are missing, then runs the server (TypeScript via tsx),
// in a process started with the memory settings (server-memory.mjs).
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
