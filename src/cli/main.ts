import { parseArgs } from 'node:util';
import { createUser, updateUser } from '../auth/users.ts';
import { userRepository } from '../db/user-repository.ts';
import { backfill } from './backfill.ts';
import { configureTwilio } from './configure.ts';
import { runDoctor } from './doctor.ts';
import { openRuntime } from './runtime.ts';

const HELP: Record<string, string> = {
  main: `wa-inbox <command> [options]

Commands:
  configure   point Twilio's status callback and inbound URL at BASE_URL (--dry-run)
  doctor      check the setup, one line per check; exit 1 on any failure
  backfill    import Twilio's message history (--since YYYY-MM-DD [--until YYYY-MM-DD])
  users       add | list | disable | reset-password

Run 'wa-inbox <command> --help' for a command's options. Configuration comes from the
environment and .env, as for the server.`,
  configure: `wa-inbox configure [--dry-run]
Sets the status callback (BASE_URL/api/whatsapp/status) and the inbound URL
(BASE_URL/api/whatsapp/incoming) on the Messaging Service (TWILIO_MESSAGING_SERVICE_SID) and on the
WhatsApp sender, through Twilio's API. Prints each value before and after. Idempotent.`,
  doctor: `wa-inbox doctor
Checks variables, database, Twilio credentials, that BASE_URL is https and answers 405 to GET
/api/whatsapp/status, that Twilio's callbacks point at us, and when the last callback came.`,
  backfill: `wa-inbox backfill --since YYYY-MM-DD [--until YYYY-MM-DD] [--restart]
Imports every message of the account in the range from Twilio's message list, both directions,
never duplicating and fixing missed statuses. Resumes an interrupted run unless --restart.`,
  users: `wa-inbox users add --email E --name N --password P [--role agent|admin]
wa-inbox users list
wa-inbox users disable --email E
wa-inbox users reset-password --email E --password P`,
};

const green = (s: string) => (process.stdout.isTTY ? `\x1b[32m${s}\x1b[0m` : s);
const red = (s: string) => (process.stdout.isTTY ? `\x1b[31m${s}\x1b[0m` : s);

function parseDay(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(d.getTime())) throw new Error(`--${name} must be a date like 2026-11-01`);
  return d;
}

export async function runCli(argv: string[], out: (line: string) => void = (l) => console.log(l), env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    out(HELP.main!);
    return command ? 0 : 1;
  }
  if (!HELP[command]) {
    out(`Unknown command '${command}'.\n\n${HELP.main}`);
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(HELP[command]!);
    return 0;
  }
  try {
    switch (command) {
      case 'doctor': {
        const checks = await runDoctor(env);
        for (const c of checks) out(`${c.ok ? green('✔') : red('✘')} ${c.name}: ${c.detail}${!c.ok && c.fix ? `\n    fix: ${c.fix}` : ''}`);
        return checks.every((c) => c.ok) ? 0 : 1;
      }
      case 'configure': {
        const { values } = parseArgs({ args: rest, options: { 'dry-run': { type: 'boolean', default: false } } });
        const rt = await openRuntime({ needTwilio: true, env });
        try {
          const changes = await configureTwilio(rt.config, rt.twilio!, { dryRun: values['dry-run']! });
          if (!changes.length) out('Nothing to configure: set TWILIO_MESSAGING_SERVICE_SID, or register a WhatsApp sender in Twilio.');
          for (const c of changes) {
            out(`${c.target} ${c.field}: ${c.before ?? '(none)'} -> ${c.after}${c.changed ? (values['dry-run'] ? '  (would change)' : '  (changed)') : '  (already set)'}`);
          }
          return 0;
        } finally {
          await rt.close();
        }
      }
      case 'backfill': {
        const { values } = parseArgs({ args: rest, options: { since: { type: 'string' }, until: { type: 'string' }, restart: { type: 'boolean', default: false } } });
        const since = parseDay(values.since, 'since');
        if (!since) throw new Error('--since is required (e.g. --since 2026-11-01)');
        const until = parseDay(values.until, 'until') ?? new Date();
        const rt = await openRuntime({ needTwilio: true, env });
        try {
          let shown = 0;
          const result = await backfill(rt.ctx!, { since, until }, {
            restart: values.restart!,
            onProgress: (c) => {
              if (process.stderr.isTTY && c.seen - shown >= 50) {
                shown = c.seen;
                process.stderr.write(`\r  seen ${c.seen}  new ${c.new}  updated ${c.updated}`);
              }
            },
          });
          if (process.stderr.isTTY) process.stderr.write('\n');
          if (result.resumedFrom) out(`Resumed an interrupted run from ${result.resumedFrom.toISOString()}.`);
          out(`seen ${result.seen}, new ${result.new}, updated ${result.updated}, not WhatsApp ${result.ignored}`);
          return 0;
        } finally {
          await rt.close();
        }
      }
      case 'users': {
        const [action, ...args] = rest;
        const { values } = parseArgs({ args, options: { email: { type: 'string' }, name: { type: 'string' }, password: { type: 'string' }, role: { type: 'string', default: 'agent' } } });
        const rt = await openRuntime({ needTwilio: false, env });
        try {
          const byEmail = async () => {
            const u = values.email ? await userRepository.findByEmail(rt.db, values.email) : null;
            if (!u) throw new Error(`no user with email ${values.email ?? '(missing --email)'}`);
            return u;
          };
          if (action === 'list') {
            for (const u of await userRepository.list(rt.db)) out(`${u.email}\t${u.name}\t${u.role}${u.disabled ? '\tdisabled' : ''}`);
          } else if (action === 'add') {
            if (!values.email || !values.name || !values.password) throw new Error('users add needs --email, --name and --password');
            if (values.role !== 'agent' && values.role !== 'admin') throw new Error('--role must be agent or admin');
            if (values.password.length < 8) throw new Error('--password must have at least 8 characters');
            const u = await createUser(rt.db, { email: values.email, name: values.name, password: values.password, role: values.role });
            out(`added ${u.email} (${u.role})`);
          } else if (action === 'disable') {
            const u = await updateUser(rt.db, (await byEmail()).id, { disabled: true });
            out(`disabled ${u.email}`);
          } else if (action === 'reset-password') {
            if (!values.password || values.password.length < 8) throw new Error('--password (at least 8 characters) is required');
            const u = await updateUser(rt.db, (await byEmail()).id, { password: values.password });
            out(`new password set for ${u.email}`);
          } else {
            out(HELP.users!);
            return 1;
          }
          return 0;
        } finally {
          await rt.close();
        }
      }
    }
  } catch (err) {
    out(red(`error: ${(err as Error).message}`));
    return 1;
  }
  return 1;
}
