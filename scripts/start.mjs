// `npm start`: builds the panel when its files are missing, then runs the server (TypeScript via tsx).
import { register } from 'tsx/esm/api';
import { buildPanel, panelIsBuilt } from './build-panel.mjs';

if (!panelIsBuilt()) {
  console.log('Building the panel (web/dist is missing)...');
  buildPanel();
}
register();
await import('../src/server.ts');
