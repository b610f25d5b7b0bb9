// A real App on a temporary data folder behind a real browser-mode server, and raw HTTP requests (node's
// http.request sends paths and Host headers exactly as given, which fetch would normalise).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, defaultDataDir } from '../../src-main/app/create-app';
import type { App } from '../../src-main/app/types';
import { type BrowserServer, type BrowserServerOptions, startBrowserServer } from '../../src-main/server/browser-server';
import { MemorySecretStore } from '../../src-main/services/secrets';

export interface TestDoor {
  app: App;
  server: BrowserServer;
  dataDir: string;
  /** A folder beside the served root holding a file that must never be served. */
  work: string;
  rendererDir: string;
  /** Host header value the server accepts. */
  host: string;
  stop(): Promise<void>;
}

export const SECRET_OUTSIDE = 'THIS-FILE-IS-OUTSIDE-THE-RENDERER';

/** A stand-in for out/renderer (the real one is built by the renderer's own build) with a file outside. */
function makeRenderer(work: string): string {
  const root = join(work, 'renderer');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(
    join(root, 'index.html'),
    '<!doctype html><html><head><title>MR4 Studio</title><script type="module" src="./assets/app.js"></script></head><body><div id="app"></div></body></html>\n',
  );
  writeFileSync(join(root, 'assets', 'app.js'), 'console.log("mr4");\n');
  writeFileSync(join(root, 'assets', 'style.css'), 'body { margin: 0 }\n');
  writeFileSync(join(root, 'assets', '.hidden'), 'hidden\n');
  writeFileSync(join(work, 'package.json'), `{"secret": "${SECRET_OUTSIDE}"}\n`);
  writeFileSync(join(root, '..', 'secret.txt'), SECRET_OUTSIDE);
  return root;
}

export async function startDoor(options: Partial<Omit<BrowserServerOptions, 'app' | 'rendererDir'>> = {}): Promise<TestDoor> {
  const work = mkdtempSync(join(tmpdir(), 'mr4-doors-'));
  const dataDir = join(work, 'data');
  const previous = process.env.MR4_DATA_DIR;
  process.env.MR4_DATA_DIR = dataDir;
  const app = await createApp({ door: 'browser', dataDir: defaultDataDir(), secrets: [new MemorySecretStore()] });
  if (previous === undefined) delete process.env.MR4_DATA_DIR;
  else process.env.MR4_DATA_DIR = previous;
  const rendererDir = makeRenderer(work);
  const server = await startBrowserServer({ app, rendererDir, host: '127.0.0.1', ...options });
  return {
    app,
    server,
    dataDir,
    work,
    rendererDir,
    host: `127.0.0.1:${server.port}`,
    async stop() {
      await server.close();
      await app.shutdown();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  json<T = unknown>(): T;
}

/** One HTTP request to 127.0.0.1:port, exactly as given. */
export function raw(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer | string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: { Host: `127.0.0.1:${port}`, Connection: 'close', ...headers }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: buf,
            text: buf.toString('utf8'),
            json: <T>() => JSON.parse(buf.toString('utf8')) as T,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/** POST /api/call/<method> with the token and a JSON body. */
export function call(door: TestDoor, method: string, body: unknown = {}, headers: Record<string, string> = {}): Promise<RawResponse> {
  return raw(
    door.server.port,
    'POST',
    `/api/call/${method}`,
    { Authorization: `Bearer ${door.server.token}`, 'Content-Type': 'application/json', ...headers },
    JSON.stringify(body),
  );
}

export function accessControlHeaders(res: RawResponse): string[] {
  return Object.keys(res.headers).filter((h) => h.toLowerCase().startsWith('access-control-'));
}
