// Browser mode: the same contract over HTTP on 127.0.0.1. The server prints its URL with a token in
// the fragment (#token=…); we read it once, keep it in sessionStorage (this tab only), and take it out
// of the address bar so it is not bookmarked, shared in a screenshot or kept in history.
import type { ApiMethod, ApiRequest, ApiResponse, FileRef, PushEvent } from '../../src-common/contract';
import { ApiError, isUiError } from './errors';
import type { LinkStatus, RendererBridge } from './types';

const TOKEN_KEY = 'mr4.token';

export function takeToken(): string | null {
  const hash = window.location.hash.replace(/^#/, '');
  const params = new URLSearchParams(hash);
  const fromUrl = params.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    params.delete('token');
    const rest = params.toString();
    history.replaceState(history.state, '', window.location.pathname + window.location.search + (rest ? `#${rest}` : ''));
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function unauthorized(status: number): ApiError {
  return new ApiError(
    {
      title: 'This window is not signed in',
      message: 'The app refused the request because this tab has no valid access token.',
      hint: 'Open the address that “mr4 serve” printed in the terminal again (it ends in #token=…).',
      code: 'MR4_UNAUTHORIZED',
      details: `HTTP ${status}`,
    },
    status,
  );
}

async function errorFrom(response: Response): Promise<ApiError> {
  if (response.status === 401 || response.status === 403) return unauthorized(response.status);
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    /* not JSON */
  }
  const error = (body as { error?: unknown } | null)?.error;
  if (isUiError(error)) return new ApiError({ ...error, details: error.details ?? '' }, response.status);
  return new ApiError(
    {
      title: 'The app answered with an error',
      message: `The request failed (HTTP ${response.status} ${response.statusText}).`,
      hint: 'Try again; if it keeps failing, copy the details and report them.',
      code: `HTTP_${response.status}`,
      details: `HTTP ${response.status} ${response.statusText}\n${body ? JSON.stringify(body) : ''}`,
    },
    response.status,
  );
}

export function createHttpBridge(token: string | null): RendererBridge {
  const listeners = new Set<(event: PushEvent) => void>();
  const statusListeners = new Set<(status: LinkStatus) => void>();
  let status: LinkStatus = 'connecting';
  let streaming = false;
  const auth = (): Record<string, string> => (token ? { Authorization: `Bearer ${token}` } : {});

  function setStatus(next: LinkStatus): void {
    if (next === status) return;
    status = next;
    for (const l of statusListeners) l(next);
  }

  function dispatchBlock(block: string): void {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''))
      .join('\n');
    if (!data) return;
    try {
      const event = JSON.parse(data) as PushEvent;
      if (event && typeof event.type === 'string') for (const l of listeners) l(event);
    } catch {
      /* a malformed event is dropped; the stores re-read on reconnect */
    }
  }

  /** Reads /api/events as text/event-stream through fetch (EventSource cannot send a header) and
   *  reconnects with exponential backoff (0.5 s … 15 s, with jitter). */
  async function stream(): Promise<void> {
    if (streaming) return;
    streaming = true;
    let attempt = 0;
    for (;;) {
      try {
        const response = await fetch('/api/events', { headers: { ...auth(), Accept: 'text/event-stream' }, cache: 'no-store' });
        if (response.status === 401 || response.status === 403) {
          setStatus('unauthorized');
          streaming = false;
          return;
        }
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        attempt = 0;
        setStatus('connected');
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, '\n');
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            dispatchBlock(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch {
        /* fall through to reconnect */
      }
      setStatus('reconnecting');
      const delay = Math.min(15_000, 500 * 2 ** attempt++) * (0.75 + Math.random() * 0.5);
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  return {
    door: 'browser',
    async call<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>> {
      const response = await fetch(`/api/call/${encodeURIComponent(method)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...auth() },
        body: JSON.stringify(request ?? {}),
        // Closing a diff or an archive may be the last thing a page does (pagehide): let it finish.
        keepalive: method === 'diffs.close',
        cache: 'no-store',
      });
      if (!response.ok) throw await errorFrom(response);
      return (await response.json()) as ApiResponse<M>;
    },
    onEvent(listener) {
      listeners.add(listener);
      void stream();
      return () => listeners.delete(listener);
    },
    onStatus(listener) {
      statusListeners.add(listener);
      listener(status);
      return () => statusListeners.delete(listener);
    },
    addFile(file: File, onProgress?: (sent: number, total: number) => void): Promise<FileRef> {
      // XMLHttpRequest rather than fetch: it reports upload progress.
      return new Promise((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open('POST', `/api/upload?name=${encodeURIComponent(file.name)}`);
        for (const [k, v] of Object.entries(auth())) xhr.setRequestHeader(k, v);
        xhr.setRequestHeader('Content-Type', 'application/octet-stream');
        xhr.responseType = 'text';
        xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.lengthComputable ? e.total : file.size);
        xhr.onload = () => {
          let body: unknown = null;
          try {
            body = JSON.parse(xhr.responseText);
          } catch {
            /* not JSON */
          }
          if (xhr.status >= 200 && xhr.status < 300 && body && typeof body === 'object') {
            const ref = ((body as { file?: FileRef }).file ?? body) as FileRef;
            resolve(ref);
            return;
          }
          if (xhr.status === 401 || xhr.status === 403) return reject(unauthorized(xhr.status));
          const error = (body as { error?: unknown } | null)?.error;
          reject(
            new ApiError(
              isUiError(error)
                ? { ...error, details: error.details ?? '' }
                : {
                    title: 'The upload failed',
                    message: `The app refused the file (HTTP ${xhr.status}).`,
                    hint: 'Check that it is an MR4 archive (.tar.gz) within the size limit.',
                    code: `HTTP_${xhr.status}`,
                    details: xhr.responseText.slice(0, 2000),
                  },
              xhr.status,
            ),
          );
        };
        xhr.onerror = () =>
          reject(
            new ApiError({
              title: 'The upload was interrupted',
              message: 'The connection to the app was lost while sending the file.',
              hint: 'Check that “mr4 serve” is still running and try again.',
              code: 'MR4_NETWORK',
              details: `upload of ${file.name} (${file.size} bytes) failed`,
            }),
          );
        xhr.send(file);
      });
    },
    download(url: string, name: string) {
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      a.rel = 'noopener';
      document.body.appendChild(a);
      a.click();
      a.remove();
    },
  };
}
