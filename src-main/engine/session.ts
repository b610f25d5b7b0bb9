// Session settings that make PostgreSQL's text output of every value exact and independent of the
// server's configuration: the archive stores values in that text form.
import type pg from 'pg';

export const SESSION_SETTINGS: Readonly<Record<string, string>> = {
  client_encoding: 'UTF8',
  DateStyle: 'ISO, YMD',
  IntervalStyle: 'postgres',
  TimeZone: 'UTC',
  extra_float_digits: '1',
  bytea_output: 'hex',
  standard_conforming_strings: 'on',
  synchronize_seqscans: 'off',
  // Keep names from the archive from ever resolving through a user-writable schema.
  search_path: 'pg_catalog',
  // Compiling the large expressions of set-based statements costs seconds and saves nothing here.
  jit: 'off',
};

/** Memory for the import's set-based work: hash joins over staged rows, temp tables in local
 *  buffers (temp_buffers only takes effect before the session's first temporary table). */
export const IMPORT_SETTINGS: Readonly<Record<string, string>> = {
  work_mem: '128MB',
  temp_buffers: '256MB',
  maintenance_work_mem: '256MB',
};

export async function applySessionSettings(client: pg.ClientBase, extra: Record<string, string> = {}): Promise<void> {
  const all = { ...SESSION_SETTINGS, ...extra };
  const sql = Object.entries(all)
    .map(([k, v]) => `SELECT set_config('${k}', '${v.replace(/'/g, "''")}', false)`)
    .join('; ');
  await client.query(sql);
}
