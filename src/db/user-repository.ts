import type { AlertPreferencesDto, UserDto } from '../contract/api.ts';
import type { Queryable } from './database.ts';

interface UserRow { id: string; email: string; name: string; role: UserDto['role']; disabled: boolean; password_hash: string }
const toUserDto = (r: UserRow): UserDto => ({ id: r.id, email: r.email, name: r.name, role: r.role, disabled: r.disabled });

export const userRepository = {
  async count(q: Queryable): Promise<number> {
    const { rows } = await q.query<{ n: string }>('SELECT count(*) AS n FROM users');
    return Number(rows[0]!.n);
  },

  async findByEmail(q: Queryable, email: string): Promise<(UserDto & { passwordHash: string }) | null> {
    const { rows } = await q.query<UserRow>('SELECT * FROM users WHERE lower(email) = lower($1)', [email]);
    return rows[0] ? { ...toUserDto(rows[0]), passwordHash: rows[0].password_hash } : null;
  },

  async findById(q: Queryable, id: string): Promise<UserDto | null> {
    const { rows } = await q.query<UserRow>('SELECT * FROM users WHERE id = $1', [id]);
    return rows[0] ? toUserDto(rows[0]) : null;
  },

  async list(q: Queryable): Promise<UserDto[]> {
    const { rows } = await q.query<UserRow>('SELECT * FROM users ORDER BY created_at, email');
    return rows.map(toUserDto);
  },

  /** Null when the email is taken. */
  async insert(q: Queryable, u: { email: string; name: string; role: UserDto['role']; passwordHash: string }): Promise<UserDto | null> {
    const { rows } = await q.query<UserRow>(
      `INSERT INTO users (email, name, role, password_hash) VALUES ($1, $2, $3, $4)
       ON CONFLICT (lower(email)) DO NOTHING RETURNING *`,
      [u.email, u.name, u.role, u.passwordHash],
    );
    return rows[0] ? toUserDto(rows[0]) : null;
  },

  async update(q: Queryable, id: string, p: { name?: string; role?: UserDto['role']; disabled?: boolean; passwordHash?: string }): Promise<UserDto | null> {
    const { rows } = await q.query<UserRow>(
      `UPDATE users SET name = COALESCE($2, name), role = COALESCE($3, role), disabled = COALESCE($4, disabled),
         password_hash = COALESCE($5, password_hash) WHERE id = $1 RETURNING *`,
      [id, p.name ?? null, p.role ?? null, p.disabled ?? null, p.passwordHash ?? null],
    );
    return rows[0] ? toUserDto(rows[0]) : null;
  },
};

interface AlertRow { alert_desktop: boolean; alert_sound: boolean }
const toAlerts = (r: AlertRow): AlertPreferencesDto => ({ desktop: r.alert_desktop, sound: r.alert_sound });

/** Each user's own alerts (columns of users). */
export const alertPreferencesRepository = {
  /** Null for an unknown user. */
  async find(q: Queryable, userId: string): Promise<AlertPreferencesDto | null> {
    const { rows } = await q.query<AlertRow>('SELECT alert_desktop, alert_sound FROM users WHERE id = $1', [userId]);
    return rows[0] ? toAlerts(rows[0]) : null;
  },

  /** Changes what is given, keeps the rest; null for an unknown user. */
  async update(q: Queryable, userId: string, p: Partial<AlertPreferencesDto>): Promise<AlertPreferencesDto | null> {
    const { rows } = await q.query<AlertRow>(
      `UPDATE users SET alert_desktop = COALESCE($2, alert_desktop), alert_sound = COALESCE($3, alert_sound)
       WHERE id = $1 RETURNING alert_desktop, alert_sound`,
      [userId, p.desktop ?? null, p.sound ?? null],
    );
    return rows[0] ? toAlerts(rows[0]) : null;
  },
};

export const sessionRepository = {
  async insert(q: Queryable, tokenHash: string, userId: string, expiresAt: Date): Promise<void> {
    await q.query('INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)', [tokenHash, userId, expiresAt]);
  },

  /** The user of a live session; disabled users have none. */
  async findUser(q: Queryable, tokenHash: string): Promise<UserDto | null> {
    const { rows } = await q.query<UserRow>(
      `SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.token_hash = $1 AND s.expires_at > now() AND NOT u.disabled`,
      [tokenHash],
    );
    return rows[0] ? toUserDto(rows[0]) : null;
  },

  async delete(q: Queryable, tokenHash: string): Promise<void> {
    await q.query('DELETE FROM sessions WHERE token_hash = $1', [tokenHash]);
  },

  async deleteForUser(q: Queryable, userId: string): Promise<void> {
    await q.query('DELETE FROM sessions WHERE user_id = $1', [userId]);
  },
};
