// IPC between the window and the app: one invoke channel for every API method, one for registering a
// dropped file's path, and pushed events. Every message is checked to come from the main frame of our
// window showing an app:// page (not a subframe, not another webContents, not a page it navigated to);
// everything else is refused. Requests are validated by app.dispatch (the contract's schemas).
import { type BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import type { UiError } from '../../src-common/contract';
import { statusOf, toUiError } from '../services/ui-error';
import type { App } from '../app/types';
import { CHANNELS } from '../../src-preload/channels';
import { isAppUrl } from './protocol';

type Result = { ok: true; value: unknown } | { ok: false; error: UiError; status: number };

const FORBIDDEN: Result = {
  ok: false,
  status: 403,
  error: {
    title: 'Not allowed',
    message: 'The app refused a request that did not come from its own window.',
    code: 'MR4_FORBIDDEN',
    details: '',
  },
};

/** The sender is the main frame of `win`, showing a page of the app. */
export function isTrustedSender(event: IpcMainInvokeEvent, win: BrowserWindow | null): boolean {
  if (!win || win.isDestroyed()) return false;
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return false;
  if (event.sender !== win.webContents) return false;
  const main = win.webContents.mainFrame;
  if (frame.processId !== main.processId || frame.routingId !== main.routingId) return false;
  return isAppUrl(frame.url);
}

/** Registers the handlers; returns a function that removes them and stops forwarding events. */
export function registerIpc(app: App, window: () => BrowserWindow | null): () => void {
  ipcMain.handle(CHANNELS.call, async (event, method: unknown, request: unknown): Promise<Result> => {
    if (!isTrustedSender(event, window())) return FORBIDDEN;
    if (typeof method !== 'string' || method.length > 64) {
      return {
        ok: false,
        status: 400,
        error: {
          title: 'Unknown request',
          message: 'The request names no method.',
          code: 'MR4_BAD_REQUEST',
          details: String(method).slice(0, 64),
        },
      };
    }
    return app.dispatch(method, request);
  });

  ipcMain.handle(CHANNELS.addFile, async (event, path: unknown): Promise<Result> => {
    if (!isTrustedSender(event, window())) return FORBIDDEN;
    if (typeof path !== 'string' || path.length === 0 || path.length > 4096 || path.includes('\0')) {
      return {
        ok: false,
        status: 400,
        error: { title: 'Not a file', message: 'The dropped item is not a file on this computer.', code: 'MR4_BAD_REQUEST', details: '' },
      };
    }
    try {
      return { ok: true, value: await app.files.registerPath(path, 'read') };
    } catch (error) {
      return { ok: false, status: statusOf(error), error: toUiError(error) };
    }
  });

  const off = app.onEvent((pushed) => {
    const win = window();
    if (!win || win.isDestroyed() || !isAppUrl(win.webContents.getURL())) return;
    win.webContents.send(CHANNELS.event, pushed);
  });

  return () => {
    off();
    ipcMain.removeHandler(CHANNELS.call);
    ipcMain.removeHandler(CHANNELS.addFile);
  };
}
