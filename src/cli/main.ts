import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/env.ts';
import { DataDirLockedError } from '../db/database.ts';
import { DomainError } from '../messages/errors.ts';
import { backfill } from './backfill.ts';
import { configureEventStreams, configureTwilio } from './configure.ts';
import { runDoctor, type CheckStatus } from './doctor.ts';
import { runExport } from './export-command.ts';
import { cliLanguage, messagesFor, type Messages } from './messages.ts';
import { NeedsTwilioError, openRuntime } from './runtime.ts';
import { CliUsageError } from './usage-error.ts';
import { isUsersSubcommand, runUsers, type UsersSubcommand } from './users-command.ts';

const COMMANDS = ['configure', 'doctor', 'backfill', 'users', 'export'] as const;
type Command = (typeof COMMANDS)[number];
const isCommand = (s: string): s is Command => COMMANDS.includes(s as Command);

const paint = (code: number) => (s: string) => (process.stdout.isTTY ? `\x1b[${code}m${s}\x1b[0m` : s);
const green = paint(32);
const red = paint(31);
const blue = paint(34);
const MARK: Record<CheckStatus, string> = { ok: green('✔'), info: blue('ℹ'), fail: red('✘') };

const wantsHelp = (args: string[]) => args.includes('--help') || args.includes('-h');

function parseDay(value: string | undefined, name: string, m: Messages): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(d.getTime())) throw new CliUsageError(m.backfill.badDate(name));
  return d;
}

/** Any failure as the lines the operator reads, in her language. */
function describeError(err: unknown, m: Messages, es: boolean, usersHint: 'add' | 'manage' | null): string {
  if (err instanceof DataDirLockedError) return m.dataDirLocked(err.dataDir, err.holder.pid, usersHint);
  if (err instanceof ConfigError) return [m.invalidConfig, ...err.problems.map((p) => `  - ${p}`)].join('\n');
  if (err instanceof NeedsTwilioError) return m.needsTwilio;
  if (err instanceof DomainError) return es ? err.messageEs : err.message;
  const code = (err as { code?: string }).code;
  if (code?.startsWith('ERR_PARSE_ARGS')) {
    const option = /'(-[^']+)'/.exec((err as Error).message)?.[1];
    return code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option ? m.unknownOption(option) : m.badOption((err as Error).message);
  }
  return (err as Error).message;
}

/** `out` takes the lines the operator reads; `stdout` what a command writes as its output (an export). */
export async function runCli(
  argv: string[],
  out: (line: string) => void = (l) => console.log(l),
  env: NodeJS.ProcessEnv = process.env,
  stdout: Writable = process.stdout,
): Promise<number> {
  const m = messagesFor(env);
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    out(m.help.main);
    return command ? 0 : 1;
  }
  if (!isCommand(command)) {
    out(`${m.unknownCommand(command)}\n\n${m.help.main}`);
    return 1;
  }
  // users: each subcommand has its own help; one that does not exist is named.
  const [action, ...actionArgs] = rest;
  if (command === 'users') {
    if (!action || action === '--help' || action === '-h' || action === 'help') {
      out(m.help.users);
      return action ? 0 : 1;
    }
    if (!isUsersSubcommand(action)) {
      out(`${red(m.unknownSubcommand(action))}\n\n${m.help.users}`);
      return 1;
    }
    if (wantsHelp(actionArgs)) {
      out(m.help[`users ${action}`]);
      return 0;
    }
  } else if (wantsHelp(rest)) {
    out(m.help[command]);
    return 0;
  }
  const usersHint = command !== 'users' ? null : action === 'add' ? 'add' : 'manage';
  try {
    switch (command) {
      case 'doctor': {
        const checks = await runDoctor(env);
        for (const c of checks) out(`${MARK[c.status]} ${c.name}: ${c.detail}${c.status === 'fail' && c.fix ? `\n    ${m.doctor.fix}: ${c.fix}` : ''}`);
        return checks.some((c) => c.status === 'fail') ? 1 : 0;
      }
      case 'configure': {
        const { values } = parseArgs({ args: rest, options: { 'dry-run': { type: 'boolean', default: false }, 'event-streams': { type: 'boolean', default: false } } });
        const rt = await openRuntime({ needTwilio: true, env });
        try {
          const configure = values['event-streams'] ? configureEventStreams : configureTwilio;
          const changes = await configure(rt.config, rt.twilio!, { dryRun: values['dry-run']! });
          const t = m.configure;
          if (!changes.length) out(t.nothing);
          for (const c of changes) {
            out(`${c.target} ${t.field[c.field] ?? c.field}: ${c.before ?? t.none} -> ${c.after}  ${c.changed ? (values['dry-run'] ? t.wouldChange : t.changed) : t.alreadySet}`);
          }
          return 0;
        } finally {
          await rt.close();
        }
      }
      case 'backfill': {
        const { values } = parseArgs({ args: rest, options: { since: { type: 'string' }, until: { type: 'string' }, restart: { type: 'boolean', default: false } } });
        const since = parseDay(values.since, 'since', m);
        if (!since) throw new CliUsageError(m.backfill.sinceRequired);
        const until = parseDay(values.until, 'until', m);
        const rt = await openRuntime({ needTwilio: true, env });
        try {
          let shown = 0;
          const result = await backfill(rt.ctx!, { since, until }, {
            restart: values.restart!,
            onProgress: (c) => {
              if (process.stderr.isTTY && c.seen - shown >= 50) {
                shown = c.seen;
                process.stderr.write(`\r  ${m.backfill.progress(c.seen, c.new, c.updated)}`);
              }
            },
          });
          if (process.stderr.isTTY) process.stderr.write('\n');
          if (result.resumedFrom) out(m.backfill.resumed(result.resumedFrom.toISOString()));
          if (result.caughtUpFrom) out(m.backfill.caughtUp(result.caughtUpFrom.toISOString()));
          out(m.backfill.done(result.seen, result.new, result.updated, result.ignored));
          return 0;
        } finally {
          await rt.close();
        }
      }
      case 'export':
        await runExport(rest, m, out, env, stdout);
        return 0;
      case 'users':
        await runUsers(action as UsersSubcommand, actionArgs, m, out, env);
        return 0;
    }
  } catch (err) {
    out(red(m.error(describeError(err, m, cliLanguage(env) === 'es', usersHint))));
    return 1;
  }
}
