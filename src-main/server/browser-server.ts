// Browser mode: the renderer and the app's API over HTTP on 127.0.0.1, for hosts without Electron (and for
// the tests). node:http only: a dozen routes and a strict set of checks do not need a framework, and
// each check is easier to audit written out here.
//
// ── The HTTP contract (what the renderer's browser bridge speaks) ─────────────────────────────────────
// The server prints http://127.0.0.1:PORT/#token=TOKEN. The page keeps TOKEN (from the fragment, which
// no browser sends to a server or a Referer) in sessionStorage and sends `Authorization: Bearer TOKEN`
// on every /api request except downloads.
//
//   POST /api/call/<method>        Content-Type: application/json, body = the request (≤ 1 MiB; empty = {}).
//                                  200 → the response value as JSON; otherwise the DispatchResult status
//                                  (400, 404, 409, 500…) with ApiErrorBody `{ "error": UiError }`.
//   GET  /api/events               The live event stream (Server-Sent Events framing, read with fetch and
//                                  a ReadableStream so the Authorization header can be sent; EventSource
//                                  cannot send it). `: ready` once subscribed, then one `data: <PushEvent
//                                  as JSON>` message per event, and `: heartbeat` comments every 15 s. A
//                                  client that falls far behind is disconnected; it should reconnect and
//                                  reload its lists (events are not replayed).
//   POST /api/upload?name=<file>   Content-Type: application/octet-stream, the archive as the body
//                                  (Content-Length if known). 200 → FileRef; 413 over the size cap; 400
//                                  (not gzip, links, "..", decompression bomb…) → `{ "error": UiError }`.
//                                  Nothing of a refused upload stays on disk.
//   GET  /api/download/<ticket>    No Authorization: the single-use ticket from `files.downloadTicket`
//                                  (whose `url` is exactly this path) is the credential. The file as an
//                                  attachment; 404 for an unknown, used or expired ticket.
//   GET  /, /assets/…              The built renderer (out/renderer), no listings, no traversal.
//
// Refused with 403 and no reason given: any request whose Host is not a loopback name — 127.0.0.1,
// localhost or [::1], on any port, so that an SSH forward (`ssh -L 9000:127.0.0.1:PORT host`) reaches
// it as 127.0.0.1:9000 — (DNS rebinding: a name of the attacker's resolving to 127.0.0.1 is refused),
// whose Origin is present and not http:// + that Host (the page's own), or whose Sec-Fetch-Site is
// cross-site or same-site (or "none", for /api); then any /api request but a download without the
// right token (compared in constant time; never read from the query string). With the token: a wrong
// method is 405, a wrong Content-Type 415, a body over the cap 413. Every response carries the CSP and
// hardening headers of ./headers; none ever carries an Access-Control-* header (so no preflight can
// succeed and no other origin can read an answer).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PushEvent, UiError } from '../../src-common/contract';
import { statusOf, toUiError } from '../services/ui-error';
import type { App } from '../app/types';
import { SECURITY_HEADERS } from './headers';
import { findStaticFile } from './static-files';

export interface BrowserServerOptions {
  app: App;
  /** 0 or absent: a free port chosen by the system. */
  port?: number;
  /** Loopback only; nothing else is ever bound. */
  host?: '127.0.0.1';
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** Largest JSON request body (default 1 MiB). */
  maxJsonBytes?: number;
  /** Largest upload (default 2 GiB, the services' own limit). */
  maxUploadBytes?: number;
  /** Interval of the event stream's heartbeat comments (default 15 s). */
  heartbeatMs?: number;
}

export interface BrowserServer {
  /** http://127.0.0.1:PORT/#token=TOKEN — what the user opens. */
  readonly url: string;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  readonly address: AddressInfo;
  /** Ends the event streams and open connections and stops listening. Does not shut the App down. */
  close(): Promise<void>;
}

const MIB = 1024 * 1024;
/** How much of a refused request body is read (and thrown away) so the answer arrives intact; past
 *  this the connection is closed. */
const DRAIN_LIMIT = 64 * MIB;
/** An event-stream client this far behind is dropped. */
const MAX_STREAM_BACKLOG = 8 * MIB;

const METHOD_PATH = /^\/api\/call\/([A-Za-z][A-Za-z0-9.]{0,63})$/;
const DOWNLOAD_PATH = /^\/api\/download\/([A-Za-z0-9_-]{8,128})$/;

class UploadTooLarge extends Error {
  override name = 'UploadTooLarge';
}

function uiError(title: string, message: string, hint?: string, code?: string): UiError {
  return { title, message, details: '', ...(hint ? { hint } : {}), ...(code ? { code } : {}) };
}

function formatSize(bytes: number): string {
  const units: [number, string][] = [
    [1024 * MIB, 'GiB'],
    [MIB, 'MiB'],
    [1024, 'KiB'],
  ];
  for (const [size, unit] of units) if (bytes >= size) return `${Math.round((bytes / size) * 10) / 10} ${unit}`;
  return `${bytes} bytes`;
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
function mediaType(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0].trim().toLowerCase();
}

/** A safe Content-Disposition for a download: an ASCII fallback name and the UTF-8 name (RFC 6266). */
/** A Host header naming this machine's loopback interface (127.0.0.1, localhost or [::1]) with any
 *  port or none; the name a DNS-rebinding page would send (its own domain) is not one. */
export function isLoopbackHost(header: string | undefined): boolean {
  const m = /^(127\.0\.0\.1|localhost|\[::1\])(?::(\d{1,5}))?$/.exec((header ?? '').toLowerCase());
  if (!m) return false;
  return m[2] === undefined || (Number(m[2]) >= 1 && Number(m[2]) <= 65535 && !/^0/.test(m[2]));
}

export function contentDisposition(name: string): string {
  const base =
    (name.split(/[\\/]/).pop() ?? '')
      .replace(/[\u0000-\u001f\u007f"';\\]/g, '')
      .replace(/^\.+/, '')
      .trim()
      .slice(-150) || 'archive.tar.gz';
  const ascii = base.replace(/[^A-Za-z0-9._ -]/g, '_');
  const encoded = encodeURIComponent(base).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const { app, rendererDir } = options;
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new Error('Browser mode listens on 127.0.0.1 only.');
  const maxJsonBytes = options.maxJsonBytes ?? MIB;
  const maxUploadBytes = options.maxUploadBytes ?? 2 * 1024 * MIB;
  const heartbeatMs = options.heartbeatMs ?? 15_000;

  const token = randomBytes(32).toString('base64url');
  const tokenBytes = Buffer.from(token, 'utf8');
  const streams = new Set<ServerResponse>();

  function authorised(req: IncomingMessage): boolean {
    const m = /^Bearer ([A-Za-z0-9_-]{1,256})$/.exec(req.headers.authorization ?? '');
    if (!m) return false;
    const given = Buffer.from(m[1], 'utf8');
    // timingSafeEqual needs equal lengths; the token's length is no secret (always 43 characters).
    return given.length === tokenBytes.length && timingSafeEqual(given, tokenBytes);
  }

  function setSecurityHeaders(res: ServerResponse): void {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  }

  /** Sends a complete answer, then reads (and discards) what is left of the request body before
   *  ending, so the client is not reset while still sending and always gets the answer. */
  function answer(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    body: string,
    contentType: string,
    extra: Record<string, string> = {},
  ): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const payload = Buffer.from(body, 'utf8');
    const pending = !req.readableEnded && !req.complete;
    res.writeHead(status, {
      'Content-Type': contentType,
      'Content-Length': String(payload.length),
      'Cache-Control': 'no-store',
      ...(pending ? { Connection: 'close' } : {}),
      ...extra,
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    if (!pending) {
      res.end(payload);
      return;
    }
    res.write(payload);
    let drained = 0;
    let ended = false;
    const finish = () => {
      if (ended) return;
      ended = true;
      req.off('data', onData);
      res.end();
    };
    const onData = (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > DRAIN_LIMIT) {
        finish();
        req.destroy();
      }
    };
    req.unpipe();
    req.on('data', onData);
    req.once('end', finish);
    req.once('close', finish);
    req.once('error', finish);
    req.resume();
  }

  function answerJson(req: IncomingMessage, res: ServerResponse, status: number, value: unknown, extra: Record<string, string> = {}): void {
    answer(req, res, status, JSON.stringify(value), 'application/json; charset=utf-8', extra);
  }

  function answerError(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    error: UiError,
    extra: Record<string, string> = {},
  ): void {
    answerJson(req, res, status, { error }, extra);
  }

  /** 403 without saying which check failed. */
  function forbid(req: IncomingMessage, res: ServerResponse, api: boolean): void {
    if (api) {
      answerError(
        req,
        res,
        403,
        uiError(
          'Not allowed',
          'The app refused this request.',
          'Open MR4 Studio from the address `mr4 serve` printed (the whole address, with its #token=… part).',
          'MR4_FORBIDDEN',
        ),
      );
    } else {
      answer(req, res, 403, 'Forbidden\n', 'text/plain; charset=utf-8');
    }
  }

  function wrongMethod(req: IncomingMessage, res: ServerResponse, allow: string): void {
    answerError(req, res, 405, uiError('Method not allowed', `Use ${allow} for this address.`, undefined, 'MR4_METHOD'), { Allow: allow });
  }

  /** The JSON request body, or why not. */
  function readJson(req: IncomingMessage): Promise<{ ok: true; value: unknown } | { ok: false; status: number; error: UiError }> {
    const tooLarge = {
      ok: false as const,
      status: 413,
      error: uiError('Request too large', `A request may be at most ${formatSize(maxJsonBytes)}.`, undefined, 'MR4_TOO_LARGE'),
    };
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > maxJsonBytes) return Promise.resolve(tooLarge);
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let done = false;
      const settle = (result: Awaited<ReturnType<typeof readJson>>) => {
        if (done) return;
        done = true;
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('error', onError);
        resolve(result);
      };
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxJsonBytes) {
          req.pause();
          settle(tooLarge);
          return;
        }
        chunks.push(chunk);
      };
      const onEnd = () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (text.trim() === '') return settle({ ok: true, value: {} });
        try {
          settle({ ok: true, value: JSON.parse(text) });
        } catch {
          settle({
            ok: false,
            status: 400,
            error: uiError('Invalid request', 'The request body is not valid JSON.', undefined, 'MR4_BAD_REQUEST'),
          });
        }
      };
      const onError = () =>
        settle({
          ok: false,
          status: 400,
          error: uiError('Request broken off', 'The request body did not arrive completely.', undefined, 'MR4_BAD_REQUEST'),
        });
      req.on('data', onData);
      req.on('end', onEnd);
      req.on('error', onError);
    });
  }

  async function handleCall(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (req.method !== 'POST') return wrongMethod(req, res, 'POST');
    if (mediaType(req.headers['content-type']) !== 'application/json') {
      return answerError(
        req,
        res,
        415,
        uiError('Unsupported content type', 'Send the request as JSON (Content-Type: application/json).', undefined, 'MR4_BAD_REQUEST'),
      );
    }
    const body = await readJson(req);
    if (!body.ok) return answerError(req, res, body.status, body.error);
    const result = await app.dispatch(method, body.value);
    if (result.ok) answerJson(req, res, 200, result.value ?? null);
    else answerError(req, res, result.status, result.error);
  }

  function handleEvents(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET') return wrongMethod(req, res, 'GET');
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);
    streams.add(res);
    const send = (text: string) => {
      if (res.writableEnded || res.destroyed) return;
      if (res.writableLength > MAX_STREAM_BACKLOG) {
        cleanup();
        res.destroy();
        return;
      }
      res.write(text);
    };
    const off = app.onEvent((event: PushEvent) => send(`data: ${JSON.stringify(event)}\n\n`));
    const heartbeat = setInterval(() => send(': heartbeat\n\n'), heartbeatMs);
    heartbeat.unref();
    let cleaned = false;
    function cleanup(): void {
      if (cleaned) return;
      cleaned = true;
      off();
      clearInterval(heartbeat);
      streams.delete(res);
    }
    res.on('close', cleanup);
    req.on('close', cleanup);
    send(': ready\n\n');
  }

  async function handleUpload(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    if (req.method !== 'POST') return wrongMethod(req, res, 'POST');
    if (mediaType(req.headers['content-type']) !== 'application/octet-stream') {
      return answerError(
        req,
        res,
        415,
        uiError(
          'Unsupported content type',
          'Send the archive as the raw request body (Content-Type: application/octet-stream).',
          undefined,
          'MR4_BAD_REQUEST',
        ),
      );
    }
    const name = query.get('name') ?? '';
    if (!name || name.length > 255)
      return answerError(
        req,
        res,
        400,
        uiError(
          'Missing file name',
          'Name the uploaded file in the address: /api/upload?name=<file name> (at most 255 characters).',
          undefined,
          'MR4_BAD_REQUEST',
        ),
      );
    const tooLarge = uiError(
      'Archive too large',
      `The upload is larger than the limit of ${formatSize(maxUploadBytes)}.`,
      'Open large archives in the desktop app, or export fewer tables.',
      'MR4_TOO_LARGE',
    );
    const lengthHeader = req.headers['content-length'];
    const declared = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
    if (declared !== null && declared > maxUploadBytes) return answerError(req, res, 413, tooLarge);

    // The services read a stream of our own, capped here, so that they never hold the connection.
    let total = 0;
    const limited = new Transform({
      transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback) {
        total += chunk.length;
        if (total > maxUploadBytes) callback(new UploadTooLarge('upload over the size cap'));
        else callback(null, chunk);
      },
    });
    const aborted = () => {
      if (!req.complete) limited.destroy(new Error('The upload was broken off before it was complete.'));
    };
    req.once('close', aborted);
    req.once('error', aborted);
    req.pipe(limited);
    try {
      const ref = await app.files.receiveUpload(name, limited, declared);
      answerJson(req, res, 200, ref);
    } catch (error) {
      req.unpipe(limited);
      limited.destroy();
      if (error instanceof UploadTooLarge) answerError(req, res, 413, tooLarge);
      else answerError(req, res, statusOf(error), toUiError(error));
    } finally {
      req.off('close', aborted);
      req.off('error', aborted);
    }
  }

  async function handleDownload(req: IncomingMessage, res: ServerResponse, ticket: string): Promise<void> {
    if (req.method !== 'GET') return wrongMethod(req, res, 'GET');
    const file = await app.files.redeemDownload(ticket);
    if (!file) {
      return answerError(
        req,
        res,
        404,
        uiError(
          'Download expired',
          'This download link was already used or has expired.',
          'Start the download again from the app.',
          'MR4_NOT_FOUND',
        ),
      );
    }
    res.writeHead(200, {
      'Content-Type': /\.(tar\.gz|tgz|gz)$/i.test(file.name) ? 'application/gzip' : 'application/octet-stream',
      'Content-Length': String(file.size),
      'Content-Disposition': contentDisposition(file.name),
      'Cache-Control': 'no-store',
    });
    await pipeline(createReadStream(file.path), res).catch(() => res.destroy());
  }

  async function handleStatic(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return answer(req, res, 405, 'Method not allowed\n', 'text/plain; charset=utf-8', { Allow: 'GET, HEAD' });
    const file = await findStaticFile(rendererDir, path);
    if (!file) return answer(req, res, 404, 'Not found\n', 'text/plain; charset=utf-8');
    res.writeHead(200, { 'Content-Type': file.contentType, 'Content-Length': String(file.size), 'Cache-Control': 'no-cache' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await pipeline(createReadStream(file.path), res).catch(() => res.destroy());
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setSecurityHeaders(res);
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const api = path === '/api' || path.startsWith('/api/');

    // DNS rebinding: only a loopback name (any port: the browser may reach us through an SSH forward).
    const hostHeader = (req.headers.host ?? '').toLowerCase();
    if (!isLoopbackHost(hostHeader)) return forbid(req, res, api);
    // Another site (or another port of this host) driving the user's browser.
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && !(site === 'none' && !api)) return forbid(req, res, api);
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${hostHeader}`) return forbid(req, res, api);

    if (!api) return handleStatic(req, res, path);
    const download = DOWNLOAD_PATH.exec(path);
    if (download) return handleDownload(req, res, download[1]);
    // Everything else under /api needs the token, before anything about the route is told.
    if (!authorised(req)) return forbid(req, res, true);
    const call = METHOD_PATH.exec(path);
    if (call) return handleCall(req, res, call[1]);
    if (path === '/api/events') return handleEvents(req, res);
    if (path === '/api/upload') return handleUpload(req, res, new URLSearchParams(queryAt === -1 ? '' : rawUrl.slice(queryAt + 1)));
    return answerError(req, res, 404, uiError('Not found', 'There is no such address in the app.', undefined, 'MR4_NOT_FOUND'));
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else answerError(req, res, 500, { ...toUiError(error), details: '' });
    });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port: options.port ?? 0, exclusive: true });
  });

  const address = server.address() as AddressInfo;
  const port = address.port;
  const origin = `http://127.0.0.1:${port}`;
  let closing: Promise<void> | null = null;

  return {
    url: `${origin}/#token=${token}`,
    origin,
    port,
    token,
    address,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const res of streams) res.end();
        streams.clear();
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      });
      return closing;
    },
  };
}
