// The desktop door: one App over the shared data folder (with safeStorage for passwords and native
// dialogs), one locked-down window over app://mr4/, IPC to app.dispatch, and a careful quit (a running
// job is only cancelled after the user agrees; imports roll back before the app exits).
import { join } from 'node:path';
import { app, type BrowserWindow, dialog } from 'electron';
import { createApp, defaultDataDir } from '../app/create-app';
import type { App } from '../app/types';
import { MemorySecretStore, PgpassSecretStore } from '../services/secrets';
import { nativeDialogs } from './dialogs';
import { registerIpc } from './ipc';
import { handleAppScheme, registerAppScheme } from './protocol';
import { SafeStorageSecretStore } from './safe-storage-secrets';
import { createMainWindow, lockDownSession } from './window';

const SHUTDOWN_LIMIT_MS = 60_000;

/** Asks before quitting while jobs run; true when the app may quit. */
async function confirmQuit(mr4: App, win: BrowserWindow | null): Promise<boolean> {
  const running = mr4.runningJobs();
  if (running === 0) return true;
  const options: Electron.MessageBoxOptions = {
    type: 'warning',
    title: 'Quit MR4 Studio?',
    message: running === 1 ? 'A job is still running.' : `${running} jobs are still running.`,
    detail:
      'Quitting cancels them. A running import is rolled back first, so nothing half-written stays in the target database; this can take a moment.',
    buttons: ['Keep running', 'Cancel jobs and quit'],
    defaultId: 0,
    cancelId: 0,
    noLink: true,
  };
  const { response } = win && !win.isDestroyed() ? await dialog.showMessageBox(win, options) : await dialog.showMessageBox(options);
  return response === 1;
}

export function startDesktopApp(): void {
  const dataDir = defaultDataDir();
  // Chromium's own profile (cache, local storage) stays out of the app's data files.
  app.setPath('userData', join(dataDir, 'electron'));
  // One instance per data folder (the lock lives in userData): a second start focuses the first window.
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.enableSandbox();
  registerAppScheme();

  let win: BrowserWindow | null = null;
  let mr4: App | null = null;
  let quitState: 'running' | 'asking' | 'shutting-down' | 'done' = 'running';

  const requestQuit = async () => {
    if (quitState !== 'running') return;
    quitState = 'asking';
    if (mr4 && !(await confirmQuit(mr4, win))) {
      quitState = 'running';
      return;
    }
    quitState = 'shutting-down';
    try {
      // Rollbacks normally take seconds; never hang the quit on a server that stopped answering.
      await Promise.race([mr4?.shutdown(), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_LIMIT_MS))]);
    } finally {
      quitState = 'done';
      app.quit();
    }
  };

  // SIGTERM, SIGINT or SIGHUP (npm start stopped, Ctrl-C in its terminal, a closed terminal): no one
  // to ask, so running jobs are cancelled (imports roll back) and the demo server stops before the app
  // quits. A second signal while that runs quits at once.
  let signalled = false;
  const onStopSignal = (signal: NodeJS.Signals) => {
    if (signalled || quitState === 'done') {
      app.exit(signal === 'SIGINT' ? 130 : 143);
      return;
    }
    signalled = true;
    quitState = 'shutting-down';
    void Promise.race([mr4?.shutdown(), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_LIMIT_MS))]).finally(() => {
      quitState = 'done';
      app.quit();
    });
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, onStopSignal);

  app.on('second-instance', () => {
    if (!win || win.isDestroyed()) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('before-quit', (event) => {
    if (quitState === 'done') return;
    event.preventDefault();
    void requestQuit();
  });
  app.on('window-all-closed', () => void requestQuit());

  void app
    .whenReady()
    .then(async () => {
      lockDownSession();
      handleAppScheme(join(import.meta.dirname, '../renderer'));
      mr4 = await createApp({
        door: 'electron',
        dataDir,
        // The keychain first: new passwords go there; memory and ~/.pgpass when the user picks them.
        secrets: [new SafeStorageSecretStore(dataDir), new MemorySecretStore(), new PgpassSecretStore()],
        dialogs: nativeDialogs(() => win),
      });
      registerIpc(mr4, () => win);
      win = createMainWindow();
      win.on('close', (event) => {
        if (quitState === 'done') return;
        // Closing the window quits the app: ask first if jobs run, shut down, then close for real.
        event.preventDefault();
        void requestQuit();
      });
      win.on('closed', () => (win = null));
    })
    .catch((error: unknown) => {
      dialog.showErrorBox('MR4 Studio could not start', `${(error as Error)?.message ?? String(error)}\n\nData folder: ${dataDir}`);
      quitState = 'done';
      app.exit(1);
    });
}
