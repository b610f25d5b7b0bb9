// The renderer is served from app://mr4/ (a privileged, standard, secure custom scheme) instead of
// file://: it gets a real origin for CSP 'self', no file:// privileges, and the same Content-Security-
// Policy header as browser mode. Only files inside out/renderer, with the same path checks.
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { protocol } from 'electron';
import { SECURITY_HEADERS } from '../server/headers';
import { findStaticFile } from '../server/static-files';

export const APP_SCHEME = 'app';
export const APP_HOST = 'mr4';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX = `${APP_ORIGIN}/index.html`;

/** Before app ready: app:// behaves like https (standard URL parsing, secure context, fetch). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      privileges: {
        standard: true,
        secure: true,
        supportFetchAPI: true,
        stream: true,
        corsEnabled: false,
        allowServiceWorkers: false,
        bypassCSP: false,
      },
    },
  ]);
}

/** Whether a URL is a page of the app itself. */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

function plain(status: number, text: string, extra: Record<string, string> = {}): Response {
  return new Response(text, { status, headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', ...extra } });
}

/** After app ready: serves `rendererDir` on app://mr4/. */
export function handleAppScheme(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return plain(400, 'Bad request\n');
    }
    if (url.host !== APP_HOST) return plain(404, 'Not found\n');
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'Method not allowed\n', { Allow: 'GET, HEAD' });
    const file = await findStaticFile(rendererDir, url.pathname);
    if (!file) return plain(404, 'Not found\n');
    const headers = {
      ...SECURITY_HEADERS,
      'Content-Type': file.contentType,
      'Content-Length': String(file.size),
      'Cache-Control': 'no-cache',
    };
    if (request.method === 'HEAD') return new Response(null, { status: 200, headers });
    return new Response(Readable.toWeb(createReadStream(file.path)) as ReadableStream, { status: 200, headers });
  });
}
