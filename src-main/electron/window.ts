// The one window, locked down: context isolation, the sandbox, no Node, no <webview>, and no way for the
// page to go anywhere but app://mr4/ — navigation, new windows, webviews, permission requests and
// downloads are denied for every webContents; a few https documentation links open in the user's
// browser instead.
import { join } from 'node:path';
import { app, BrowserWindow, session, shell, type WebContents } from 'electron';
import { APP_INDEX, isAppUrl } from './protocol';

/** https pages the app may open in the user's browser (prefixes). Nothing else is ever opened. */
export const EXTERNAL_ALLOW_LIST: readonly string[] = ['https://www.postgresql.org/docs/'];

export function isAllowedExternal(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'https:' || u.username || u.password) return false;
  const normalised = u.href;
  return EXTERNAL_ALLOW_LIST.some((prefix) => normalised.startsWith(prefix));
}

function openExternalIfAllowed(url: string): void {
  if (isAllowedExternal(url)) void shell.openExternal(url);
}

/** Applies the navigation rules to a webContents (the window's, and any other that ever appears). */
export function lockDownContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (isAppUrl(url)) return;
    event.preventDefault();
    openExternalIfAllowed(url);
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openExternalIfAllowed(url);
    return { action: 'deny' };
  });
}

/** Session-wide: no permission (camera, notifications, clipboard-read, …) is ever granted, no download. */
export function lockDownSession(): void {
  const s = session.defaultSession;
  s.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  s.setPermissionCheckHandler(() => false);
  s.setDevicePermissionHandler(() => false);
  s.on('will-download', (event) => event.preventDefault());
  app.on('web-contents-created', (_event, contents) => lockDownContents(contents));
}

export function createMainWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'MR4 Studio',
    show: false,
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_INDEX);
  return win;
}
