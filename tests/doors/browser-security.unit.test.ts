// Browser mode's HTTP security, by real requests to a real server over a real App: the token, Origin,
// Sec-Fetch-Site and Host checks, methods and content types, body caps, headers on every response, the
// static file root, the event stream, and the loopback-only listener.
import { type AddressInfo, connect, createServer } from 'node:net';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AppInfo, PushEvent } from '../../src-common/contract';
import { startBrowserServer } from '../../src-main/server/browser-server';
import { CONTENT_SECURITY_POLICY } from '../../src-main/server/headers';
import { accessControlHeaders, call, raw, type RawResponse, SECRET_OUTSIDE, startDoor, type TestDoor } from './helpers';

let door: TestDoor;
const seen: RawResponse[] = [];

function track(res: RawResponse): RawResponse {
  seen.push(res);
  return res;
}

beforeAll(async () => {
  door = await startDoor({ heartbeatMs: 200 });
});

afterAll(async () => {
  await door?.stop();
});

const json = { 'Content-Type': 'application/json' };

describe('token', () => {
  test('a good token answers app.info', async () => {
    const res = track(await call(door, 'app.info'));
    expect(res.status).toBe(200);
    const info = res.json<AppInfo>();
    expect(info.door).toBe('browser');
    expect(info.dataDir).toBe(door.dataDir);
  });

  test('no token, a wrong token, or the token in the query string only: 403 without details', async () => {
    const port = door.server.port;
    const token = door.server.token;
    const wrong = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    const cases = [
      await raw(port, 'POST', '/api/call/app.info', json, '{}'),
      await raw(port, 'POST', '/api/call/app.info', { ...json, Authorization: `Bearer ${wrong}` }, '{}'),
      await raw(port, 'POST', '/api/call/app.info', { ...json, Authorization: `Bearer ${token}x` }, '{}'),
      await raw(port, 'POST', '/api/call/app.info', { ...json, Authorization: token }, '{}'),
      await raw(
        port,
        'POST',
        '/api/call/app.info',
        { ...json, Authorization: `Basic ${Buffer.from(`u:${token}`).toString('base64')}` },
        '{}',
      ),
      await raw(port, 'POST', `/api/call/app.info?token=${token}`, json, '{}'),
      await raw(port, 'POST', `/api/call/app.info#token=${token}`, json, '{}'),
      await raw(port, 'GET', '/api/events', {}),
      await raw(port, 'GET', `/api/events?token=${token}`, {}),
      await raw(port, 'POST', '/api/upload?name=a.tar.gz', { 'Content-Type': 'application/octet-stream' }, Buffer.from([0x1f, 0x8b])),
    ];
    for (const res of cases) {
      track(res);
      expect(res.status).toBe(403);
      expect(res.text).not.toContain(door.dataDir);
      expect(res.text).not.toMatch(/token is wrong|origin|host|sec-fetch/i);
    }
  });
});

describe('cross-site requests and DNS rebinding', () => {
  const withToken = () => ({ ...json, Authorization: `Bearer ${door.server.token}` });

  test("a foreign Origin is refused, the page's own is accepted", async () => {
    const port = door.server.port;
    for (const origin of [
      'http://evil.example',
      `http://evil.example:${port}`,
      `http://127.0.0.1:${port + 1}`,
      'null',
      `https://127.0.0.1:${port}`,
    ]) {
      expect(track(await raw(port, 'POST', '/api/call/app.info', { ...withToken(), Origin: origin }, '{}')).status, origin).toBe(403);
    }
    expect(track(await raw(port, 'POST', '/api/call/app.info', { ...withToken(), Origin: `http://127.0.0.1:${port}` }, '{}')).status).toBe(
      200,
    );
    expect(
      track(
        await raw(
          port,
          'POST',
          '/api/call/app.info',
          { ...withToken(), Origin: `http://localhost:${port}`, Host: `localhost:${port}` },
          '{}',
        ),
      ).status,
    ).toBe(200);
    // Origin must match the Host the page was loaded from.
    expect(track(await raw(port, 'POST', '/api/call/app.info', { ...withToken(), Origin: `http://localhost:${port}` }, '{}')).status).toBe(
      403,
    );
  });

  test('Sec-Fetch-Site cross-site or same-site is refused, same-origin accepted', async () => {
    const port = door.server.port;
    expect(track(await raw(port, 'POST', '/api/call/app.info', { ...withToken(), 'Sec-Fetch-Site': 'cross-site' }, '{}')).status).toBe(403);
    expect(track(await raw(port, 'POST', '/api/call/app.info', { ...withToken(), 'Sec-Fetch-Site': 'same-site' }, '{}')).status).toBe(403);
    expect(track(await raw(port, 'POST', '/api/call/app.info', { ...withToken(), 'Sec-Fetch-Site': 'none' }, '{}')).status).toBe(403);
    expect(track(await raw(port, 'POST', '/api/call/app.info', { ...withToken(), 'Sec-Fetch-Site': 'same-origin' }, '{}')).status).toBe(
      200,
    );
    expect(track(await raw(port, 'GET', '/', { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect(track(await raw(port, 'GET', '/', { 'Sec-Fetch-Site': 'none' })).status).toBe(200);
  });

  test('a Host that is not a loopback name is refused, even with the token (DNS rebinding)', async () => {
    const port = door.server.port;
    const refused = [
      `evil.example:${port}`,
      'evil.example',
      `localhost.evil.example:${port}`,
      `127.0.0.1.evil.example:${port}`,
      `evil.example:${port}@127.0.0.1`,
      `0.0.0.0:${port}`,
      `127.0.0.2:${port}`,
      `[::ffff:127.0.0.1]:${port}`,
      `[::1`,
      `::1:${port}`,
      `127.0.0.1:${port}x`,
      `127.0.0.1:0`,
      `127.0.0.1:65536`,
      `127.0.0.1:0${port}`,
      `127.0.0.1:`,
    ];
    for (const host of refused) {
      expect(track(await raw(port, 'POST', '/api/call/app.info', { ...withToken(), Host: host }, '{}')).status, host).toBe(403);
      expect(track(await raw(port, 'GET', '/', { Host: host })).status, host).toBe(403);
    }
    expect(track(await raw(port, 'POST', '/api/call/app.info', { ...withToken(), Host: `localhost:${port}` }, '{}')).status).toBe(200);
  });

  test('a loopback Host on any port is accepted (an SSH forward, ssh -L 9000:127.0.0.1:PORT), with its own Origin only', async () => {
    const port = door.server.port;
    for (const host of [
      `127.0.0.1:${port}`,
      '127.0.0.1:9000',
      `127.0.0.1:${port + 1}`,
      '127.0.0.1',
      'localhost:9000',
      'LOCALHOST:9000',
      'localhost',
      '[::1]:9000',
      `[::1]:${port}`,
      '[::1]',
      '127.0.0.1:65535',
      '127.0.0.1:1',
    ]) {
      expect(track(await raw(port, 'GET', '/', { Host: host })).status, host).toBe(200);
      expect(track(await raw(port, 'POST', '/api/call/app.info', { ...withToken(), Host: host }, '{}')).status, host).toBe(200);
      // The page loaded through the forward sends its own origin: accepted.
      const own = `http://${host.toLowerCase()}`;
      expect(
        track(
          await raw(port, 'POST', '/api/call/app.info', { ...withToken(), Host: host, Origin: own, 'Sec-Fetch-Site': 'same-origin' }, '{}'),
        ).status,
        own,
      ).toBe(200);
      // Any other origin, loopback ones on another port included, is still refused.
      for (const origin of [
        `http://127.0.0.1:${port}`,
        'http://127.0.0.1:9001',
        'http://localhost:3000',
        'http://evil.example:9000',
        `https://${host.toLowerCase()}`,
        'null',
      ]) {
        if (origin === own) continue;
        expect(
          track(await raw(port, 'POST', '/api/call/app.info', { ...withToken(), Host: host, Origin: origin }, '{}')).status,
          `${host} ${origin}`,
        ).toBe(403);
      }
      // Without the token it stays closed.
      expect(track(await raw(port, 'POST', '/api/call/app.info', { ...json, Host: host }, '{}')).status, host).toBe(403);
    }
  });

  test('through a TCP forward on another port (what ssh -L does) the page and the API work', async () => {
    const forward = createServer((client) => {
      const upstream = connect(door.server.port, '127.0.0.1');
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => forward.listen(0, '127.0.0.1', resolve));
    const via = (forward.address() as AddressInfo).port;
    try {
      // raw() sends Host 127.0.0.1:<the port it connects to>, as a browser pointed at the forward does.
      expect(track(await raw(via, 'GET', '/', { 'Sec-Fetch-Site': 'none' })).status).toBe(200);
      const res = track(
        await raw(
          via,
          'POST',
          '/api/call/app.info',
          { ...withToken(), Origin: `http://127.0.0.1:${via}`, 'Sec-Fetch-Site': 'same-origin' },
          '{}',
        ),
      );
      expect(res.status).toBe(200);
      expect(res.json<AppInfo>().door).toBe('browser');
      expect(
        track(await raw(via, 'POST', '/api/call/app.info', { ...withToken(), Origin: `http://127.0.0.1:${door.server.port}` }, '{}'))
          .status,
      ).toBe(403);
    } finally {
      await new Promise<void>((resolve) => forward.close(() => resolve()));
    }
  });
});

describe('methods, content types and sizes', () => {
  const auth = () => ({ Authorization: `Bearer ${door.server.token}` });

  test('GET (or PUT, DELETE, OPTIONS) on /api/call is refused with 405', async () => {
    const port = door.server.port;
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const res = track(
        await raw(port, method, '/api/call/connections.list', {
          ...auth(),
          'Access-Control-Request-Method': 'POST',
          Origin: `http://127.0.0.1:${port}`,
        }),
      );
      expect(res.status, method).toBe(405);
      expect(res.headers.allow).toBe('POST');
    }
  });

  test('a body that is not JSON, or declared as anything but application/json, is refused', async () => {
    const port = door.server.port;
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', '']) {
      const res = track(await raw(port, 'POST', '/api/call/app.info', { ...auth(), ...(type ? { 'Content-Type': type } : {}) }, '{}'));
      expect(res.status, type).toBe(415);
    }
    const bad = track(await raw(port, 'POST', '/api/call/app.info', { ...auth(), 'Content-Type': 'application/json' }, '{"oops"'));
    expect(bad.status).toBe(400);
    expect(bad.json<{ error: { title: string } }>().error.title).toMatch(/invalid/i);
    expect(
      track(await raw(port, 'POST', '/api/call/app.info', { ...auth(), 'Content-Type': 'application/json; charset=utf-8' }, '{}')).status,
    ).toBe(200);
  });

  test('a request the contract refuses answers 400 with a UiError; an unknown method too', async () => {
    const res = track(await call(door, 'connections.delete', { id: '../../etc' }));
    expect(res.status).toBe(400);
    expect(res.json<{ error: { code: string; problems: string[] } }>().error.code).toBe('MR4_BAD_REQUEST');
    const unknown = track(await call(door, 'connections.explode', {}));
    expect(unknown.status).toBe(400);
    expect(track(await raw(door.server.port, 'POST', '/api/call/__proto__', { ...auth(), ...json }, '{}')).status).toBe(404);
  });

  test('a body over 1 MiB is refused with 413 (declared or chunked), and the answer arrives intact', async () => {
    const port = door.server.port;
    const big = JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) });
    const declared = track(await raw(port, 'POST', '/api/call/connections.save', { ...auth(), ...json }, big));
    expect(declared.status).toBe(413);
    expect(declared.json<{ error: { title: string } }>().error.title).toMatch(/too large/i);
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/call/connections.save',
          headers: { ...auth(), ...json, 'Transfer-Encoding': 'chunked' },
          agent: false,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 20; i++) req.write('x'.repeat(100_000));
      req.end();
    });
    expect(chunked).toBe(413);
    // The server is still fine afterwards.
    expect(track(await call(door, 'app.info')).status).toBe(200);
  });
});

describe('headers', () => {
  test('CSP, nosniff, no-referrer and frame-ancestors on HTML, assets, API answers and errors', async () => {
    const port = door.server.port;
    const responses = [
      await raw(port, 'GET', '/'),
      await raw(port, 'GET', '/assets/app.js'),
      await call(door, 'app.info'),
      await raw(port, 'POST', '/api/call/app.info', json, '{}'),
      await raw(port, 'GET', '/missing.js'),
      await raw(port, 'GET', '/api/download/AAAAAAAAAAAAAAAA'),
      await raw(port, 'OPTIONS', '/', { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' }),
      await raw(port, 'OPTIONS', '/api/call/app.info', { Origin: `http://127.0.0.1:${port}`, 'Access-Control-Request-Method': 'POST' }),
    ];
    for (const res of responses) {
      track(res);
      expect(res.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
    }
    const csp = CONTENT_SECURITY_POLICY;
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).not.toMatch(/https?:/);
  });

  test('no response carried an Access-Control-* header (OPTIONS included)', () => {
    expect(seen.length).toBeGreaterThan(40);
    for (const res of seen) expect(accessControlHeaders(res)).toEqual([]);
  });
});

describe('static files', () => {
  test('the index page and assets are served with their content types', async () => {
    const port = door.server.port;
    const index = await raw(port, 'GET', '/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.text).toContain('<div id="app">');
    expect((await raw(port, 'GET', '/index.html')).status).toBe(200);
    const js = await raw(port, 'GET', '/assets/app.js');
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await raw(port, 'GET', '/assets/style.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    const head = await raw(port, 'HEAD', '/assets/app.js');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect((await raw(port, 'POST', '/index.html', { 'Content-Type': 'text/plain' }, 'x')).status).toBe(405);
  });

  test('traversal, encoded dots and backslashes, hidden files and directories: 404', async () => {
    const port = door.server.port;
    const paths = [
      '/../package.json',
      '/../secret.txt',
      '/%2e%2e/package.json',
      '/%2E%2E/secret.txt',
      '/assets/../../secret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/..%2fsecret.txt',
      '/..%5csecret.txt',
      '/%5c..%5csecret.txt',
      '/assets%5c..%5c..%5csecret.txt',
      '/..\\secret.txt',
      '/assets/.hidden',
      '/assets/',
      '/assets',
      '//secret.txt',
      '/%00index.html',
      '/index.html%00.js',
      '/%',
      `/${'..%2f'.repeat(8)}etc/passwd`,
    ];
    for (const path of paths) {
      const res = await raw(port, 'GET', path);
      expect(res.status, path).toBe(404);
      expect(res.text, path).not.toContain(SECRET_OUTSIDE);
      expect(res.text, path).not.toContain('root:');
    }
  });
});

describe('event stream', () => {
  test('a client with the token receives pushed events; heartbeats keep it alive', async () => {
    const port = door.server.port;
    const received: PushEvent[] = [];
    let buffer = '';
    let sawHeartbeat = false;
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'GET',
      path: '/api/events',
      headers: { Authorization: `Bearer ${door.server.token}`, Accept: 'text/event-stream' },
      agent: false,
    });
    const ready = new Promise<{ status: number; type: string | undefined; cors: string[] }>((resolve, reject) => {
      req.on('response', (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (block === ': ready')
              resolve({
                status: res.statusCode ?? 0,
                type: res.headers['content-type'],
                cors: Object.keys(res.headers).filter((h) => h.startsWith('access-control-')),
              });
            if (block === ': heartbeat') sawHeartbeat = true;
            if (block.startsWith('data: ')) received.push(JSON.parse(block.slice(6)) as PushEvent);
          }
        });
      });
      req.on('error', reject);
    });
    req.end();
    const head = await ready;
    expect(head.status).toBe(200);
    expect(head.type).toBe('text/event-stream; charset=utf-8');
    expect(head.cors).toEqual([]);

    const saved = await call(door, 'connections.save', {
      name: 'Events test',
      host: '127.0.0.1',
      port: 5432,
      database: 'x',
      user: 'u',
      sslMode: 'disable',
      tag: 'dev',
    });
    expect(saved.status).toBe(200);
    const deadline = Date.now() + 5000;
    while (!received.some((e) => e.type === 'connections.changed') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(received.map((e) => e.type)).toContain('connections.changed');
    while (!sawHeartbeat && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(sawHeartbeat).toBe(true);
    req.destroy();
  });

  test('without the token: 403 and no stream', async () => {
    const res = await raw(door.server.port, 'GET', '/api/events', { Accept: 'text/event-stream' });
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).not.toContain('event-stream');
    expect((await raw(door.server.port, 'POST', '/api/events', { Authorization: `Bearer ${door.server.token}` })).status).toBe(405);
  });
});

describe('listening', () => {
  test('the server binds 127.0.0.1 only', async () => {
    expect(door.server.address.address).toBe('127.0.0.1');
    expect(door.server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${door.server.port}/#token=[A-Za-z0-9_-]{43}$`));
    expect(Buffer.from(door.server.token, 'base64url').length).toBe(32);
    // Another loopback address (still this machine) and IPv6 loopback find nothing listening.
    for (const host of ['127.0.0.2', '::1']) {
      const outcome = await new Promise<string>((resolve) => {
        const socket = connect({ host, port: door.server.port });
        socket.once('connect', () => (socket.destroy(), resolve('connected')));
        socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      expect(outcome, host).not.toBe('connected');
    }
  });

  test('any other host to listen on is refused before anything is bound', async () => {
    await expect(startBrowserServer({ app: door.app, rendererDir: door.rendererDir, host: '0.0.0.0' as '127.0.0.1' })).rejects.toThrow(
      /127\.0\.0\.1 only/,
    );
  });

  test('each server has its own token', async () => {
    const other = await startBrowserServer({ app: door.app, rendererDir: door.rendererDir });
    try {
      expect(other.token).not.toBe(door.server.token);
      const res = await raw(other.port, 'POST', '/api/call/app.info', { ...json, Authorization: `Bearer ${door.server.token}` }, '{}');
      expect(res.status).toBe(403);
    } finally {
      await other.close();
    }
  });
});
