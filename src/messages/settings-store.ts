import type { Database } from '../db/database.ts';
import { settingsRepository, type Settings } from '../db/settings-repository.ts';

// Settings are read on every captured message; a short cache keeps that off the database while
// letting a change made on another instance show within seconds.
const TTL_MS = 5_000;

export interface SettingsStore {
  get(): Promise<Settings>;
  save(s: Partial<Settings>): Promise<Settings>;
}

export function createSettingsStore(db: Database): SettingsStore {
  let cached: { value: Settings; at: number } | null = null;
  return {
    async get() {
      if (!cached || Date.now() - cached.at > TTL_MS) cached = { value: await settingsRepository.load(db), at: Date.now() };
      return cached.value;
    },
    async save(s) {
      await settingsRepository.save(db, s);
      cached = null;
      return this.get();
    },
  };
}
