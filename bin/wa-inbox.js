#!/usr/bin/env node
// The `wa-inbox` command: runs the TypeScript CLI through tsx, in a process started with the
// memory settings on PGlite (scripts/server-memory.mjs), as its commands may open it.
// .env first: whether DATABASE_URL is set decides the memory settings.
import 'dotenv/config';
import { restartWithMemorySettings } from '../scripts/server-memory.mjs';

await restartWithMemorySettings();
const { register } = await import('tsx/esm/api');
register();
const { runCli } = await import('../src/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2));
