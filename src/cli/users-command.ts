import { parseArgs, type ParseArgsConfig } from 'node:util';
import { userEmail, userName, userPassword } from '../auth/user-fields.ts';
import { createUser, updateUser } from '../auth/users.ts';
import { userRepository } from '../db/user-repository.ts';
import type { Messages } from './messages.ts';
import { openRuntime } from './runtime.ts';
import { CliUsageError } from './usage-error.ts';

export const USERS_SUBCOMMANDS = ['add', 'list', 'disable', 'reset-password'] as const;
export type UsersSubcommand = (typeof USERS_SUBCOMMANDS)[number];

export const isUsersSubcommand = (s: string | undefined): s is UsersSubcommand => USERS_SUBCOMMANDS.includes(s as UsersSubcommand);

// The field rules of POST /api/users (src/auth/user-fields.ts): the CLI accepts no user the panel would refuse.
const OPTIONS: Record<UsersSubcommand, ParseArgsConfig['options']> = {
  add: { email: { type: 'string' }, name: { type: 'string' }, password: { type: 'string' }, role: { type: 'string', default: 'agent' } },
  list: {},
  disable: { email: { type: 'string' } },
  'reset-password': { email: { type: 'string' }, password: { type: 'string' } },
};

interface Input {
  email?: string;
  name?: string;
  password?: string;
  role?: 'agent' | 'admin';
}

/** Checks what was typed before any database is opened; throws CliUsageError in the operator's language. */
function validate(action: UsersSubcommand, args: string[], m: Messages): Input {
  const values = parseArgs({ args, options: OPTIONS[action] }).values as Record<string, string | undefined>;
  const t = m.users;
  const checkEmail = () => {
    const parsed = userEmail.safeParse(values.email);
    if (!parsed.success) throw new CliUsageError(values.email === undefined ? t.noUser(undefined) : t.badEmail(values.email));
    return parsed.data;
  };
  const checkPassword = () => {
    if (!userPassword.safeParse(values.password).success) throw new CliUsageError(t.shortPassword);
    return values.password!;
  };
  switch (action) {
    case 'list':
      return {};
    case 'disable':
      return { email: checkEmail() };
    case 'reset-password':
      if (values.password === undefined) throw new CliUsageError(t.passwordNeeded);
      return { email: checkEmail(), password: checkPassword() };
    case 'add': {
      if (!values.email || !values.name || !values.password) throw new CliUsageError(t.addNeeds);
      const role = values.role;
      if (role !== 'agent' && role !== 'admin') throw new CliUsageError(t.badRole);
      const n = userName.safeParse(values.name);
      if (!n.success) throw new CliUsageError(t.badName);
      return { email: checkEmail(), name: n.data, password: checkPassword(), role };
    }
  }
}

export async function runUsers(action: UsersSubcommand, args: string[], m: Messages, out: (line: string) => void, env: NodeJS.ProcessEnv): Promise<void> {
  const input = validate(action, args, m);
  const rt = await openRuntime({ needTwilio: false, env });
  try {
    const byEmail = async () => {
      const u = await userRepository.findByEmail(rt.db, input.email!);
      if (!u) throw new CliUsageError(m.users.noUser(input.email));
      return u;
    };
    switch (action) {
      case 'list':
        for (const u of await userRepository.list(rt.db)) out(`${u.email}\t${u.name}\t${u.role}${u.disabled ? `\t${m.users.disabled}` : ''}`);
        break;
      case 'add': {
        const u = await createUser(rt.db, { email: input.email!, name: input.name!, password: input.password!, role: input.role! });
        out(m.users.added(u.email, u.role));
        break;
      }
      case 'disable': {
        const u = await updateUser(rt.db, (await byEmail()).id, { disabled: true });
        out(m.users.disabledUser(u.email));
        break;
      }
      case 'reset-password': {
        const u = await updateUser(rt.db, (await byEmail()).id, { password: input.password });
        out(m.users.passwordSet(u.email));
        break;
      }
    }
  } finally {
    await rt.close();
  }
}
