// Files by handle: uploads checked while they stream and refused (not gzip, too big, links, "..",
// too many entries, decompression bombs) without leaving a file behind; granted paths; kept archives;
// single-use download tickets; old uploads swept.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { craftArchive, type CraftedEntry, readEntries } from '../helpers/craft-archive';
import { createTestDb, type TestDb } from '../helpers/db';
import { scratchDir } from '../helpers/engine';
import { FileService } from '../../src-main/services/files';
import { draftFor, makeApp, newDataDir, type TestApp, waitJob } from './helpers';

let db: TestDb;
let app: TestApp;
let dataDir: string;
let good: Buffer;
const dir = scratchDir();

beforeAll(async () => {
  db = await createTestDb();
  await db.client.query("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 100) i");
  dataDir = newDataDir();
  app = await makeApp({ uploadMaxBytes: 4 * 1024 * 1024 });
  const c = await app.call('connections.save', draftFor(db.url, 'Small', 'dev'));
  const job = await waitJob(app, (await app.call('jobs.start', { kind: 'export', sourceId: c.id })).id);
  good = readFileSync(
    join(
      dataDir,
      'archives',
      readdirSync(join(dataDir, 'archives')).find((f) => f.endsWith('.tar.gz'))!,
    ),
  );
  expect(job.state).toBe('succeeded');
});
afterAll(async () => {
  await app?.shutdown();
  await db?.drop();
});

const uploads = () => readdirSync(join(dataDir, 'uploads'));
function chunks(buf: Buffer, size = 7000): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return Readable.from(parts);
}
function crafted(name: string, entries: CraftedEntry[]): Buffer {
  const path = join(dir, name);
  craftArchive(path, entries);
  return readFileSync(path);
}
const index = (good: Buffer) => {
  const p = join(dir, 'g.tar.gz');
  writeFileSync(p, good);
  return p;
};

async function refused(name: string, body: Buffer, declared: number | null = body.length) {
  const before = uploads();
  const error = await app.files.receiveUpload(name, chunks(body), declared).then(
    () => null,
    (e: unknown) => e as Error & { status?: number },
  );
  expect(error, `${name} was accepted`).not.toBeNull();
  expect(error!.status).toBe(400);
  expect(uploads()).toEqual(before);
  return error!;
}

describe('files', () => {
  it('accepts an archive upload, lists it, opens it, and serves it once per ticket', async () => {
    const ref = await app.files.receiveUpload('../../My export.tar.gz', chunks(good), good.length);
    expect(ref.name).toBe('My export.tar.gz');
    expect(ref.size).toBe(good.length);
    expect(uploads()).toEqual([`${ref.handle}.tar.gz`]);
    expect((await app.call('files.list', {})).map((f) => f.handle)).toContain(ref.handle);
    expect(app.events.some((e) => e.type === 'files.changed')).toBe(true);
    const opened = await waitJob(app, (await app.call('jobs.start', { kind: 'open-archive', file: ref.handle })).id);
    expect(opened.state, JSON.stringify(opened.error)).toBe('succeeded');

    const { url } = await app.call('files.downloadTicket', { handle: ref.handle });
    const ticket = url.replace('/api/download/', '');
    expect(url).toMatch(/^\/api\/download\/[A-Za-z0-9_-]{43}$/);
    const file = await app.files.redeemDownload(ticket);
    expect(file).toMatchObject({ name: 'My export.tar.gz', size: good.length });
    expect(readFileSync(file!.path).equals(good)).toBe(true);
    expect(await app.files.redeemDownload(ticket)).toBeNull();
    expect(await app.files.redeemDownload('made-up-ticket')).toBeNull();
    expect((await app.fail('files.downloadTicket', { handle: 'unknownhandle' })).status).toBe(404);
  });

  it('refuses uploads that are not gzip, too big, or malicious, leaving no file behind', async () => {
    await refused('plain.tar.gz', Buffer.from('this is not gzip at all'));
    await refused('empty.tar.gz', Buffer.alloc(0));
    expect((await refused('declared.tar.gz', good, 5 * 1024 * 1024)).message).toMatch(/larger than the limit/);
    const big = Buffer.concat([gzipSync(Buffer.alloc(10)), Buffer.alloc(5 * 1024 * 1024, 1)]);
    expect((await refused('big.tar.gz', big, null)).message).toMatch(/larger than the limit/);
    await refused('short.tar.gz', good, good.length + 10);
    await refused('garbage.tar.gz', Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.alloc(1000, 7)]));
    await refused('not-mr4.tar.gz', crafted('x.tar.gz', [{ path: 'hello.txt', body: 'hi' }]));

    // Index first, then the bad entry: the whole archive is checked, not just its start.
    const indexJson = readEntries(index(good))[0];
    expect(indexJson?.path).toBe('index.json');
    const link = await refused(
      'link.tar.gz',
      crafted('link.tar.gz', [indexJson!, { path: 't.json', type: 'SymbolicLink', linkpath: '/etc/passwd' }]),
    );
    expect(link.message).toMatch(/SymbolicLink|link/i);
    const dots = await refused('dots.tar.gz', crafted('dots.tar.gz', [indexJson!, { path: '../../evil.json', body: '{}' }]));
    expect(dots.message).toMatch(/unsafe name/);
    await refused('abs.tar.gz', crafted('abs.tar.gz', [indexJson!, { path: '/etc/evil.json', body: '{}' }]));
    const many: CraftedEntry[] = [indexJson!];
    for (let i = 0; i < 100_001; i++) many.push({ path: `f${i}.json`, body: '' });
    expect((await refused('many.tar.gz', crafted('many.tar.gz', many))).message).toMatch(/more than 100000 entries/);
    const bomb = crafted('bomb.tar.gz', [indexJson!, { path: 'zeros.json', body: Buffer.alloc(120 * 1024 * 1024) }]);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    expect((await refused('bomb.tar.gz', bomb)).message).toMatch(/declares \d+ bytes, more than the limit/);
    // Entries each under the limit, together far over it.
    const parts = [indexJson!, ...[1, 2, 3, 4].map((i) => ({ path: `zeros${i}.json`, body: Buffer.alloc(30 * 1024 * 1024) }))];
    const bombs = crafted('bombs.tar.gz', parts);
    expect((await refused('bombs.tar.gz', bombs)).message).toMatch(/decompresses to more than/);
    expect(readdirSync(join(dataDir, 'uploads')).filter((f) => f.startsWith('.'))).toEqual([]);
  }, 120_000);

  it('grants paths from dialogs and drops only for real archives and existing folders', async () => {
    const p = index(good);
    const ref = await app.files.registerPath(p, 'read');
    expect(ref).toMatchObject({ name: 'g.tar.gz', size: good.length });
    expect((await app.files.registerPath(p, 'read')).handle).toBe(ref.handle);
    const txt = join(dir, 'notes.txt');
    writeFileSync(txt, 'x');
    await expect(app.files.registerPath(txt, 'read')).rejects.toMatchObject({ status: 400 });
    const fake = join(dir, 'fake.tar.gz');
    writeFileSync(fake, 'not gzip');
    await expect(app.files.registerPath(fake, 'read')).rejects.toMatchObject({ status: 400 });
    mkdirSync(join(dir, 'folder.tar.gz'));
    await expect(app.files.registerPath(join(dir, 'folder.tar.gz'), 'read')).rejects.toMatchObject({ status: 400 });
    await expect(app.files.registerPath(join(dir, 'missing.tar.gz'), 'read')).rejects.toMatchObject({ status: 400 });
    await expect(app.files.registerPath(join(dir, 'no-such-folder', 'out.tar.gz'), 'write')).rejects.toMatchObject({ status: 400 });

    // An export to a granted destination; the file may then be opened.
    const dest = await app.files.registerPath(join(dir, 'exported.tar.gz'), 'write');
    expect((await app.fail('jobs.start', { kind: 'open-archive', file: dest.handle })).status).toBe(400);
    const conn = (await app.call('connections.list', {}))[0];
    const job = await waitJob(app, (await app.call('jobs.start', { kind: 'export', sourceId: conn.id, destination: dest.handle })).id);
    expect(job.state).toBe('succeeded');
    expect(job.files![0]).toMatchObject({ handle: dest.handle, name: 'exported.tar.gz' });
    expect(job.files![0].size).toBeGreaterThan(100);
    expect((await waitJob(app, (await app.call('jobs.start', { kind: 'open-archive', file: dest.handle })).id)).state).toBe('succeeded');
    // A read grant is not a save destination.
    expect((await app.fail('jobs.start', { kind: 'export', sourceId: conn.id, destination: ref.handle })).status).toBe(400);
  });

  it('deletes uploads older than 24 hours at start', async () => {
    const ref = await app.files.receiveUpload('old.tar.gz', chunks(good), good.length);
    const old = new Date(Date.now() - 25 * 3600_000);
    utimesSync(join(dataDir, 'uploads', `${ref.handle}.tar.gz`), old, old);
    const again = await makeApp({ dataDir });
    try {
      expect(uploads()).not.toContain(`${ref.handle}.tar.gz`);
      expect((await again.call('files.list', {})).map((f) => f.handle)).not.toContain(ref.handle);
    } finally {
      await again.shutdown();
    }
  });

  it('caps the total size of kept uploads: a clear refusal, nothing left behind, room again once one goes', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mr4-uploads-cap-'));
    const files = new FileService(home, { uploadMaxBytes: good.length * 2, uploadTotalMaxBytes: Math.floor(good.length * 2.5) });
    await files.init();
    const kept = () => readdirSync(join(home, 'uploads'));
    try {
      const a = await files.receiveUpload('a.tar.gz', chunks(good), good.length);
      await files.receiveUpload('b.tar.gz', chunks(good), null);
      expect(kept()).toHaveLength(2);
      // Declared: refused before a byte is read; undeclared: refused while it streams.
      for (const declared of [good.length, null]) {
        const error = await files.receiveUpload('c.tar.gz', chunks(good), declared).then(
          () => null,
          (e: unknown) => e as Error & { status?: number; ui?: { title: string; code: string; hint: string } },
        );
        expect(error, `declared ${declared}`).not.toBeNull();
        expect(error!.status).toBe(400);
        expect(error!.ui).toMatchObject({ title: 'No room for more uploads', code: 'MR4_UPLOADS_FULL' });
        expect(error!.message).toMatch(/more than the .* allowed in all/);
        expect(error!.ui!.hint).toMatch(/24 hours/);
        expect(kept()).toHaveLength(2);
      }
      // One removed (by hand, or by the 24-hour sweep): there is room again.
      rmSync(join(home, 'uploads', `${a.handle}.tar.gz`));
      const c = await files.receiveUpload('c.tar.gz', chunks(good), good.length);
      expect(kept()).toContain(`${c.handle}.tar.gz`);
      const old = new Date(Date.now() - 25 * 3600_000);
      for (const f of kept()) utimesSync(join(home, 'uploads', f), old, old);
      await files.receiveUpload('d.tar.gz', chunks(good), good.length);
      await files.receiveUpload('e.tar.gz', chunks(good), good.length);
      expect(kept()).toHaveLength(2);
    } finally {
      files.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('uploads streaming at the same time cannot pass the cap together', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mr4-uploads-cap-'));
    const files = new FileService(home, { uploadMaxBytes: good.length * 2, uploadTotalMaxBytes: Math.floor(good.length * 1.5) });
    await files.init();
    try {
      const results = await Promise.allSettled([1, 2, 3].map((i) => files.receiveUpload(`${i}.tar.gz`, chunks(good, 512), null)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((r) => r.status === 'rejected'))
        expect(((r as PromiseRejectedResult).reason as Error).message).toMatch(/allowed in all/);
      expect(readdirSync(join(home, 'uploads'))).toHaveLength(1);
    } finally {
      files.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('uploads and exported archives (kept or saved to a chosen file) are readable by their owner only (0600)', async () => {
    const previous = process.umask(0);
    try {
      const ref = await app.files.receiveUpload('mode.tar.gz', chunks(good), good.length);
      expect(statSync(join(dataDir, 'uploads', `${ref.handle}.tar.gz`)).mode & 0o777).toBe(0o600);
      const conn = (await app.call('connections.list', {}))[0];
      const kept = await waitJob(app, (await app.call('jobs.start', { kind: 'export', sourceId: conn.id })).id);
      expect(kept.state).toBe('succeeded');
      for (const f of readdirSync(join(dataDir, 'archives')).filter((n) => n.endsWith('.tar.gz'))) {
        expect(statSync(join(dataDir, 'archives', f)).mode & 0o777, f).toBe(0o600);
      }
      const dest = await app.files.registerPath(join(dir, 'saved-0600.tar.gz'), 'write');
      const saved = await waitJob(app, (await app.call('jobs.start', { kind: 'export', sourceId: conn.id, destination: dest.handle })).id);
      expect(saved.state).toBe('succeeded');
      expect(statSync(join(dir, 'saved-0600.tar.gz')).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });
});
