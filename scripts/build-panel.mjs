// Builds the panel (web/ → web/dist) with Vite; exits the calling script when the build fails.
// Shared by `npm start` (when web/dist is missing), `npm test` and the panel benchmark (always).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export const panelIsBuilt = () => existsSync(`${root}web/dist/index.html`);

export function buildPanel() {
  const build = spawnSync(process.execPath, [`${root}node_modules/vite/bin/vite.js`, 'build', '--config', `${root}web/vite.config.ts`, '--logLevel', 'warn'], { stdio: 'inherit', cwd: root });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
