// Electron: the preload exposes `window.mr4` through contextBridge (one function per API method,
// onEvent, addFile). This wraps it into the contract's Bridge; nothing here touches Node.
import type { ApiMethod, ApiRequest, ApiResponse, FileRef, PushEvent } from '../../src-common/contract';
import { ApiError, isUiError, toUiError } from './errors';
import type { LinkStatus, RendererBridge } from './types';

type Fn = (...args: unknown[]) => unknown;
export type PreloadApi = Record<string, unknown> & {
  onEvent: (listener: (event: PushEvent) => void) => () => void;
  addFile: (file: File) => Promise<unknown>;
};

/** `mr4['connections.list']` or `mr4.connections.list`, whichever the preload exposes. */
function methodOf(api: PreloadApi, method: string): Fn | null {
  const flat = api[method];
  if (typeof flat === 'function') return flat as Fn;
  let node: unknown = api;
  for (const part of method.split('.')) {
    if (!node || typeof node !== 'object') return null;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'function' ? (node as Fn) : null;
}

/** The preload answers every call with the app's DispatchResult — `{ ok: true, value }` or
 *  `{ ok: false, error, status }` — because an Error's own fields do not survive contextBridge. */
function unwrap<T>(answer: unknown): T {
  if (answer && typeof answer === 'object' && 'ok' in answer) {
    const a = answer as { ok: unknown; value?: unknown; error?: unknown; status?: number };
    if (a.ok === true && 'value' in a) return a.value as T;
    if (a.ok === false && isUiError(a.error)) throw new ApiError({ ...a.error, details: a.error.details ?? '' }, a.status);
  }
  throw new ApiError({
    title: 'Unexpected answer',
    message: 'The app answered in a form this window does not understand.',
    hint: 'Reload the window; if it persists, report it with the details.',
    code: 'MR4_BAD_ANSWER',
    details: JSON.stringify(answer)?.slice(0, 2000) ?? String(answer),
  });
}

export function createElectronBridge(api: PreloadApi): RendererBridge {
  return {
    door: 'electron',
    async call<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>> {
      const fn = methodOf(api, method);
      if (!fn) {
        throw new ApiError({
          title: 'Unknown request',
          message: `This version of the app has no "${method}".`,
          code: 'MR4_BAD_REQUEST',
          details: method,
        });
      }
      try {
        return unwrap<ApiResponse<M>>(await fn(request ?? {}));
      } catch (error) {
        if (error instanceof ApiError) throw error;
        throw new ApiError(toUiError(error));
      }
    },
    onEvent(listener) {
      return api.onEvent(listener);
    },
    onStatus(listener: (status: LinkStatus) => void) {
      listener('connected'); // IPC has no connection to lose
      return () => undefined;
    },
    async addFile(file: File, onProgress?: (sent: number, total: number) => void): Promise<FileRef> {
      try {
        const ref = unwrap<FileRef>(await api.addFile(file));
        onProgress?.(file.size, file.size);
        return ref;
      } catch (error) {
        if (error instanceof ApiError) throw error;
        throw new ApiError(toUiError(error, 'The file could not be opened'));
      }
    },
    download() {
      /* Electron saves through dialogs.saveArchive and "Show in folder"; nothing to download. */
    },
  };
}
