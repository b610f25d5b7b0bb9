// Browser mode's uploads and downloads over real HTTP: oversized, not gzip, links, "..", decompression
// bombs are refused with a clear message and leave nothing in the uploads folder; a real archive (exported
// from a real database) uploads, opens as a job, and comes back through a single-use download ticket.
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ArchiveInfo, FileRef, JobInfo, UiError } from '../../src-common/contract';
import { contentDisposition } from '../../src-main/server/browser-server';
import { craftArchive } from '../helpers/craft-archive';
import { exportDb, freshDb, scratchDir, shopSchemaSql } from '../helpers/engine';
import type { TestDb } from '../helpers/db';
import { call, raw, type RawResponse, startDoor, type TestDoor } from './helpers';

const CAP = 64 * 1024;
let door: TestDoor;
let scratch: string;

beforeAll(async () => {
  door = await startDoor({ maxUploadBytes: CAP });
  scratch = scratchDir();
});

afterAll(async () => {
  await door?.stop();
});

function upload(body: Buffer, name = 'archive.tar.gz', headers: Record<string, string> = {}): Promise<RawResponse> {
  return raw(
    door.server.port,
    'POST',
    `/api/upload?name=${encodeURIComponent(name)}`,
    { Authorization: `Bearer ${door.server.token}`, 'Content-Type': 'application/octet-stream', ...headers },
    body,
  );
}

/** The same upload without a Content-Length (chunked), in pieces. */
function uploadChunked(body: Buffer, piece = 16 * 1024): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: door.server.port,
        method: 'POST',
        path: '/api/upload?name=chunked.tar.gz',
        headers: {
          Authorization: `Bearer ${door.server.token}`,
          'Content-Type': 'application/octet-stream',
          'Transfer-Encoding': 'chunked',
        },
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    for (let at = 0; at < body.length; at += piece) req.write(body.subarray(at, at + piece));
    req.end();
  });
}

function uploadsLeft(): string[] {
  return readdirSync(join(door.dataDir, 'uploads'));
}

function errorOf(res: { body: Buffer | string }): UiError {
  const text = typeof res.body === 'string' ? res.body : res.body.toString('utf8');
  return (JSON.parse(text) as { error: UiError }).error;
}

function crafted(name: string, entries: Parameters<typeof craftArchive>[1]): Buffer {
  const path = join(scratch, name);
  craftArchive(path, entries);
  return readFileSync(path);
}

/** Tar entries whose declared sizes are each modest but which decompress to `total` bytes: gzip of
 *  zeros shrinks about a thousandfold. */
function bomb(entries: number, eachBytes: number): Buffer {
  const parts: Buffer[] = [];
  const zeros = Buffer.alloc(eachBytes);
  for (let i = 0; i < entries; i++) {
    const h = new Header({ path: `t${i}.tsv`, mode: 0o644, size: eachBytes, mtime: new Date(0), type: 'File', uid: 0, gid: 0 });
    h.encode();
    parts.push(h.block!, zeros);
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts), { level: 9 });
}

describe('refused uploads', () => {
  test('over the size cap: 413 whether the length is declared or not, and nothing is kept', async () => {
    const big = Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.alloc(CAP * 2, 7)]);
    const declared = await upload(big);
    expect(declared.status).toBe(413);
    expect(errorOf(declared).title).toMatch(/too large/i);
    expect(errorOf(declared).message).toContain('64 KiB');
    const chunked = await uploadChunked(big);
    expect(chunked.status).toBe(413);
    expect(errorOf(chunked).message).toMatch(/larger than the limit/);
    expect(uploadsLeft()).toEqual([]);
  });

  test('not gzip: 400 saying so, nothing kept', async () => {
    const res = await upload(Buffer.from('this is plain text, not an archive\n'.repeat(10)), 'notes.tar.gz');
    expect(res.status).toBe(400);
    expect(errorOf(res).title).toMatch(/not a gzip/i);
    expect(uploadsLeft()).toEqual([]);
  });

  test('a symlink inside: refused, nothing kept', async () => {
    const res = await upload(
      crafted('link.tar.gz', [
        { path: 'index.json', body: '{}' },
        { path: 'passwd', type: 'SymbolicLink', linkpath: '/etc/passwd' },
      ]),
    );
    expect(res.status).toBe(400);
    expect(errorOf(res).message).toMatch(/no links/);
    expect(uploadsLeft()).toEqual([]);
  });

  test('a hard link inside: refused, nothing kept', async () => {
    const res = await upload(
      crafted('hardlink.tar.gz', [
        { path: 'index.json', body: '{}' },
        { path: 'x', type: 'Link', linkpath: 'index.json' },
      ]),
    );
    expect(res.status).toBe(400);
    expect(errorOf(res).message).toMatch(/no links/);
    expect(uploadsLeft()).toEqual([]);
  });

  test('a ".." entry: refused, nothing kept', async () => {
    const res = await upload(crafted('dotdot.tar.gz', [{ path: '../../evil.tsv', body: 'x\n' }]));
    expect(res.status).toBe(400);
    expect(errorOf(res).message).toMatch(/unsafe name/);
    expect(uploadsLeft()).toEqual([]);
  });

  test('a decompression bomb: refused, nothing kept', async () => {
    // 6 × 10 MiB of zeros ≈ 60 KB of gzip: far more than 50 times its size once decompressed.
    const gz = bomb(6, 10 * 1024 * 1024);
    expect(gz.length).toBeLessThan(CAP);
    const res = await upload(gz, 'bomb.tar.gz');
    expect(res.status).toBe(400);
    expect(errorOf(res).message).toMatch(/decompresses to more than|more than the limit/);
    expect(uploadsLeft()).toEqual([]);
  });

  test('an upload broken off by the client leaves nothing, and the server carries on', async () => {
    await new Promise<void>((resolve) => {
      const req = request({
        host: '127.0.0.1',
        port: door.server.port,
        method: 'POST',
        path: '/api/upload?name=broken.tar.gz',
        headers: {
          Authorization: `Bearer ${door.server.token}`,
          'Content-Type': 'application/octet-stream',
          'Content-Length': String(CAP - 1),
        },
        agent: false,
      });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      req.write(Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.alloc(20_000)]));
      setTimeout(() => req.destroy(), 100);
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(uploadsLeft()).toEqual([]);
    expect((await call(door, 'app.info')).status).toBe(200);
  });

  test('no file name, or the wrong content type: refused', async () => {
    const gz = gzipSync(Buffer.alloc(10));
    const noName = await raw(
      door.server.port,
      'POST',
      '/api/upload',
      { Authorization: `Bearer ${door.server.token}`, 'Content-Type': 'application/octet-stream' },
      gz,
    );
    expect(noName.status).toBe(400);
    const form = await upload(gz, 'a.tar.gz', { 'Content-Type': 'multipart/form-data; boundary=x' });
    expect(form.status).toBe(415);
    const get = await raw(door.server.port, 'GET', '/api/upload?name=a.tar.gz', { Authorization: `Bearer ${door.server.token}` });
    expect(get.status).toBe(405);
    expect(uploadsLeft()).toEqual([]);
  });
});

describe('a real archive', () => {
  let db: TestDb;
  let archive: Buffer;
  let ref: FileRef;

  beforeAll(async () => {
    db = await freshDb(shopSchemaSql);
    const path = join(scratch, 'shop.tar.gz');
    await exportDb(db, path);
    archive = readFileSync(path);
  });

  afterAll(async () => {
    await db?.drop();
  });

  test('uploads under a name and id the server chooses; open-archive works on its handle', async () => {
    const big = await startDoor({ maxUploadBytes: 64 * 1024 * 1024 });
    try {
      const res = await raw(
        big.server.port,
        'POST',
        `/api/upload?name=${encodeURIComponent('../../shop export.tar.gz')}`,
        { Authorization: `Bearer ${big.server.token}`, 'Content-Type': 'application/octet-stream' },
        archive,
      );
      expect(res.status, res.text).toBe(200);
      ref = res.json<FileRef>();
      expect(ref.size).toBe(archive.length);
      expect(ref.name).toBe('shop export.tar.gz');
      expect(ref.handle).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
      const stored = readdirSync(join(big.dataDir, 'uploads'));
      expect(stored).toHaveLength(1);
      expect(stored[0]).not.toContain('shop');

      const started = await call(big, 'jobs.start', { kind: 'open-archive', file: ref.handle });
      expect(started.status, started.text).toBe(200);
      let job = started.json<JobInfo>();
      const deadline = Date.now() + 30_000;
      while (job.state === 'running' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        job = (await call(big, 'jobs.get', { jobId: job.id })).json<JobInfo>();
      }
      expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
      const info = job.result as ArchiveInfo;
      expect(info.tables.length).toBeGreaterThan(0);
      expect(info.checksums).toBe('verified');

      // Download it back: the ticket URL works once, without the token, and never again.
      const ticket = await call(big, 'files.downloadTicket', { handle: ref.handle });
      expect(ticket.status).toBe(200);
      const { url } = ticket.json<{ url: string }>();
      expect(url).toMatch(/^\/api\/download\/[A-Za-z0-9_-]+$/);
      const first = await raw(big.server.port, 'GET', url);
      expect(first.status).toBe(200);
      expect(first.body.equals(archive)).toBe(true);
      expect(first.headers['content-type']).toBe('application/gzip');
      expect(first.headers['content-disposition']).toBe(`attachment; filename="shop export.tar.gz"; filename*=UTF-8''shop%20export.tar.gz`);
      expect(first.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      const second = await raw(big.server.port, 'GET', url);
      expect(second.status).toBe(404);
      // A ticket is no token, and a wrong one finds nothing.
      expect((await raw(big.server.port, 'GET', '/api/download/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).status).toBe(404);
      // Other hosts cannot redeem tickets either.
      const again = (await call(big, 'files.downloadTicket', { handle: ref.handle })).json<{ url: string }>().url;
      expect((await raw(big.server.port, 'GET', again, { Host: `evil.example:${big.server.port}` })).status).toBe(403);
      expect((await raw(big.server.port, 'GET', again, { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
      expect((await raw(big.server.port, 'GET', again)).status).toBe(200);
    } finally {
      await big.stop();
    }
  });
});

describe('download names', () => {
  test('Content-Disposition never carries quotes, separators or control characters', () => {
    expect(contentDisposition('a"b.tar.gz')).toBe(`attachment; filename="ab.tar.gz"; filename*=UTF-8''ab.tar.gz`);
    expect(contentDisposition('../../etc/passwd')).toBe(`attachment; filename="passwd"; filename*=UTF-8''passwd`);
    expect(contentDisposition('x\r\nSet-Cookie: a=b.tar.gz')).not.toMatch(/[\r\n]/);
    expect(contentDisposition('Müller – prod.tar.gz')).toBe(
      `attachment; filename="M_ller _ prod.tar.gz"; filename*=UTF-8''M%C3%BCller%20%E2%80%93%20prod.tar.gz`,
    );
    expect(contentDisposition('...')).toContain('archive.tar.gz');
  });
});
