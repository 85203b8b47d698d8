import type { SettingsDto } from '../../../shared/dto';
import type { FerryDatabase } from './database';

/** Settings as JSON values under their key; unknown keys are ignored, missing ones take defaults. */
export class SettingsRepo {
  constructor(
    private readonly db: FerryDatabase,
    private readonly defaults: SettingsDto,
  ) {}

  load(): SettingsDto {
    const stored: Record<string, unknown> = {};
    for (const row of this.db.all<{ key: string; value: string }>('SELECT key, value FROM settings')) {
      try {
        stored[row.key] = JSON.parse(row.value);
      } catch {
        // A corrupt value falls back to its default rather than losing every setting.
      }
    }
    const settings = { ...this.defaults };
    for (const key of Object.keys(settings) as (keyof SettingsDto)[]) {
      if (key in stored && typeof stored[key] === typeof this.defaults[key]) {
        (settings as Record<string, unknown>)[key] = stored[key];
      }
    }
    return settings;
  }

  save(patch: Partial<SettingsDto>): void {
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(patch)) {
        if (value === undefined) continue;
        this.db.run(
          'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
          [key, JSON.stringify(value)],
        );
      }
    });
  }
}
