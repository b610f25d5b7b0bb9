// Facts the CLI gathers without connecting.
//
// (The CLI reads a connection URL before starting a job — run-job.ts, through src-main/db/connect.ts —
// only to refuse one it cannot read as bad usage; the worker connects. connect.ts must never name a
// variable `require`: that collides with the `require` shim electron-vite adds to a chunk shared between
// the CLI and the worker, a SyntaxError at load.)
import { loadConfigFile } from '../engine/config';

/** The profile a configuration file asks for, if it can be read (the job reports a bad file). */
export async function configProfile(path: string | undefined): Promise<string | undefined> {
  if (!path) return undefined;
  try {
    return (await loadConfigFile(path)).profile;
  } catch {
    return undefined;
  }
}
