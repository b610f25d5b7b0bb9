// The one data folder shared by the desktop app, browser mode and the CLI.
import { homedir } from 'node:os';
import { join } from 'node:path';

/** MR4_DATA_DIR if set; else the platform's configuration folder for MR4 Studio. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.MR4_DATA_DIR) return env.MR4_DATA_DIR;
  const home = env.HOME || homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'MR4 Studio');
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'MR4 Studio');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'mr4-studio');
}
