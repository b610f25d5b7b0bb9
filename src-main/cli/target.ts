// Facts the CLI gathers without connecting.
//
// It deliberately does not import src-main/db/connect.ts: that module names a variable `require`, which
// collides with the `require` shim electron-vite adds to a chunk shared between the CLI and the worker
// (SyntaxError at load). The worker resolves connections; reports carry the label it computed.
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
