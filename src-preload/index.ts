// The preload: the only bridge between the sandboxed renderer and the Electron main process. It exposes
// `window.mr4` through contextBridge and never exposes ipcRenderer, Node or Electron objects.
//
// ── window.mr4 (what the renderer's src-renderer/bridge/electron.ts wraps into the contract's Bridge) ──
//   mr4['<method>'](request)  One function per API method of src-common/contract.ts (apiRequests), under
//                             its full name: mr4['connections.list']({}), mr4['jobs.start']({ kind: … }).
//                             Resolves — never rejects for an API failure — with the DispatchResult:
//                               { ok: true, value: ApiResponses[method] }
//                               { ok: false, error: UiError, status: number }   (status as in browser mode)
//                             because an Error's own fields do not survive contextBridge. Main validates
//                             every request (the preload passes it through untouched).
//   mr4.onEvent(listener)     Subscribes to PushEvents; returns a function that unsubscribes.
//   mr4.addFile(file: File)   A file the user dropped or picked in the page: its path is taken here with
//                             webUtils.getPathForFile (the renderer never sees a path) and main registers
//                             it (checks: .tar.gz/.tgz, a regular file, gzip) → the same result shape, with
//                             a FileRef as value.
//   mr4.door                  'electron'.
//
// The sandbox lets a preload require() nothing but electron, so this bundles to one CommonJS file
// (out/preload/index.cjs) and imports only types from the contract.
import { contextBridge, ipcRenderer, type IpcRendererEvent, webUtils } from 'electron';
import type { ApiMethod, PushEvent, UiError } from '../src-common/contract';
import { API_METHODS, CHANNELS } from './channels';

type Result = { ok: true; value: unknown } | { ok: false; error: UiError; status: number };

function refused(title: string, message: string): Result {
  return { ok: false, status: 400, error: { title, message, code: 'MR4_BAD_REQUEST', details: message } };
}

const methods: Partial<Record<ApiMethod, (request?: unknown) => Promise<Result>>> = {};
for (const method of API_METHODS) {
  methods[method] = (request?: unknown) => ipcRenderer.invoke(CHANNELS.call, method, request ?? {}) as Promise<Result>;
}

contextBridge.exposeInMainWorld('mr4', {
  ...methods,
  door: 'electron',
  onEvent(listener: (event: PushEvent) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('mr4.onEvent needs a function');
    const forward = (_event: IpcRendererEvent, pushed: PushEvent) => listener(pushed);
    ipcRenderer.on(CHANNELS.event, forward);
    return () => void ipcRenderer.removeListener(CHANNELS.event, forward);
  },
  async addFile(file: File): Promise<Result> {
    let path = '';
    try {
      path = webUtils.getPathForFile(file);
    } catch {
      path = '';
    }
    if (!path) return refused('Not a file on this computer', 'Only files from this computer can be opened (drop or pick a .tar.gz file).');
    return (await ipcRenderer.invoke(CHANNELS.addFile, path)) as Result;
  },
});
