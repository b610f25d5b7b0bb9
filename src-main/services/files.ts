// Files the app reads and writes, referred to by opaque handles (a window never names a path). The data
// folder holds archives/ (exports kept in the app, sync intermediates), uploads/ (archives sent by a
// browser, deleted after 24 h) and cache/ (archive browser caches). Handles of kept archives persist in
// files.json; paths granted by a native dialog or a drop live until the app quits.
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { chmod, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import type { FileRef } from '../../src-common/contract';
import { ENCRYPTED_MAGIC, isEncryptedHead, parseHeader } from '../engine/archive/crypto';
import { type ArchiveLimits, DEFAULT_LIMITS, openArchive, walkArchive } from '../engine/archive/reader';
import { ensurePrivateDir, readJsonFile, Serial, writeFileAtomic } from './fs-util';
import { badRequest, notFound, ServiceError } from './service-error';

export type FilePurpose = 'read' | 'write' | 'kept';

interface FileEntry {
  handle: string;
  path: string;
  purpose: FilePurpose;
  /** Shown to the user (an upload's original name, cleaned). */
  name: string;
}

interface FilesJson {
  version: 1;
  kept: { handle: string; path: string; name: string }[];
}

export interface FileServiceOptions {
  /** Largest upload accepted (default 2 GiB). */
  uploadMaxBytes?: number;
  /** Most bytes all kept uploads (and those arriving) may take together (default 4 × uploadMaxBytes). */
  uploadTotalMaxBytes?: number;
  /** Uploads older than this are deleted (default 24 h). */
  uploadTtlMs?: number;
  /** Download tickets expire after this (default 5 min). */
  ticketTtlMs?: number;
  onChange?: () => void;
}

/** An archive's name: .tar.gz or .tgz, and .enc after it for an encrypted one (a convention: archives
 *  are recognised by their first bytes). */
const ARCHIVE_NAME = /\.(tar\.gz|tgz)(\.enc)?$/i;

/** Whether the first bytes of a file are those of an archive: gzip, or mr4's encrypted envelope. */
function archiveHead(head: Buffer): boolean {
  return (head[0] === 0x1f && head[1] === 0x8b) || (head.length >= 2 && head[0] === ENCRYPTED_MAGIC[0] && head[1] === ENCRYPTED_MAGIC[1]);
}
const GIB = 1024 ** 3;

/** Limits for reading an archive that arrived over the network. */
export function uploadLimits(size: number): ArchiveLimits {
  const maxTotalBytes = Math.min(Math.max(size, 1024 * 1024) * 50, 64 * GIB);
  return { maxEntries: 100_000, maxEntryBytes: maxTotalBytes, maxTotalBytes, maxIndexBytes: DEFAULT_LIMITS.maxIndexBytes };
}

/** A display name: the last path part, control and path characters removed, at most 120 characters. */
export function cleanName(name: string, fallback = 'archive.tar.gz'): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '')
    .replace(/^\.+/, '')
    .trim()
    .slice(-120);
  return cleaned || fallback;
}

/** A file-system friendly part of a name (database names in archive file names). */
export function safeFilePart(text: string): string {
  return (
    text
      .replace(/[^A-Za-z0-9_.-]+/g, '_')
      .replace(/^[._-]+/, '')
      .slice(0, 60) || 'db'
  );
}

export function timestampForFile(d = new Date()): string {
  return d
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '')
    .replace('T', '-');
}

/** What the doors do with files: register those the user gives, receive uploads, hand out downloads. */
export interface FileAccess {
  /** Registers a file the user gave us (a native dialog's or a drop's path) and returns its handle. */
  registerPath(path: string, purpose: 'read' | 'write'): Promise<FileRef>;
  /** Browser mode: stores an uploaded archive (checked while it streams) and returns its handle. */
  receiveUpload(name: string, body: Readable, declaredSize: number | null): Promise<FileRef>;
  /** Browser mode: the file behind a single-use download ticket, or null. */
  redeemDownload(ticket: string): Promise<{ path: string; name: string; size: number } | null>;
}

export class FileService implements FileAccess {
  readonly archivesDir: string;
  readonly uploadsDir: string;
  readonly cacheDir: string;
  private readonly filesJson: string;
  private readonly entries = new Map<string, FileEntry>();
  private readonly tickets = new Map<string, { handle: string; expires: number }>();
  private readonly serial = new Serial();
  private readonly uploadMaxBytes: number;
  private readonly uploadTotalMaxBytes: number;
  /** Bytes of the uploads kept in uploads/ plus those arriving (counted as they stream). */
  private uploadsUsed = 0;
  /** Uploads arriving: temp file name → bytes so far. */
  private readonly incoming = new Map<string, number>();
  private readonly uploadTtlMs: number;
  private readonly ticketTtlMs: number;
  private sweeper: NodeJS.Timeout | null = null;
  /** Paths handed out for exports still being written. */
  private readonly reserved = new Set<string>();

  constructor(
    private readonly dataDir: string,
    private readonly options: FileServiceOptions = {},
  ) {
    this.archivesDir = join(dataDir, 'archives');
    this.uploadsDir = join(dataDir, 'uploads');
    this.cacheDir = join(dataDir, 'cache');
    this.filesJson = join(dataDir, 'files.json');
    this.uploadMaxBytes = options.uploadMaxBytes ?? 2 * GIB;
    this.uploadTotalMaxBytes = options.uploadTotalMaxBytes ?? 4 * this.uploadMaxBytes;
    this.uploadTtlMs = options.uploadTtlMs ?? 24 * 3600_000;
    this.ticketTtlMs = options.ticketTtlMs ?? 5 * 60_000;
  }

  async init(): Promise<void> {
    for (const d of [this.archivesDir, this.uploadsDir, this.cacheDir]) await ensurePrivateDir(d);
    const data = await readJsonFile<FilesJson>(this.filesJson, { version: 1, kept: [] });
    for (const k of Array.isArray(data.kept) ? data.kept : []) {
      const path = resolve(this.dataDir, k.path);
      if (!this.isKeptPath(path)) continue;
      this.entries.set(k.handle, { handle: k.handle, path, purpose: 'kept', name: k.name });
    }
    await this.sweepUploads();
    await this.countUploads();
    this.sweeper = setInterval(() => void this.sweepUploads().catch(() => undefined), 3600_000);
    this.sweeper.unref();
  }

  close(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }

  private isKeptPath(path: string): boolean {
    return [this.archivesDir, this.uploadsDir].some((d) => path.startsWith(d + sep) && dirname(path) === d);
  }

  private persist(): Promise<void> {
    return this.serial.run(async () => {
      const kept = [...this.entries.values()]
        .filter((e) => e.purpose === 'kept')
        .map((e) => ({ handle: e.handle, path: relative(this.dataDir, e.path), name: e.name }));
      await writeFileAtomic(this.filesJson, JSON.stringify({ version: 1, kept } satisfies FilesJson, null, 2) + '\n', 0o600);
    });
  }

  /** Counts what uploads/ holds (files of uploads still arriving are counted as they stream). */
  private async countUploads(): Promise<void> {
    let bytes = 0;
    for (const name of await readdir(this.uploadsDir).catch(() => [] as string[])) {
      if (this.incoming.has(name)) continue;
      const st = await stat(join(this.uploadsDir, name)).catch(() => null);
      if (st?.isFile()) bytes += st.size;
    }
    for (const n of this.incoming.values()) bytes += n;
    this.uploadsUsed = bytes;
  }

  /** Deletes uploads older than the TTL (and upload temp files left by a crash). */
  async sweepUploads(now = Date.now()): Promise<void> {
    let removed = false;
    for (const name of await readdir(this.uploadsDir).catch(() => [] as string[])) {
      if (this.incoming.has(name)) continue;
      const path = join(this.uploadsDir, name);
      const st = await stat(path).catch(() => null);
      if (!st || now - st.mtimeMs < this.uploadTtlMs) continue;
      await rm(path, { force: true, recursive: true });
      for (const [h, e] of this.entries) if (e.path === path) this.entries.delete(h);
      removed = true;
    }
    if (removed) {
      await this.countUploads();
      await this.persist();
      this.options.onChange?.();
    }
  }

  private newHandle(): string {
    return randomBytes(16).toString('base64url');
  }

  private async refOf(entry: FileEntry): Promise<FileRef> {
    const st = await stat(entry.path).catch(() => null);
    return {
      handle: entry.handle,
      name: entry.name,
      size: st?.isFile() ? st.size : 0,
      modifiedAt: (st?.mtime ?? new Date()).toISOString(),
    };
  }

  /** The entry behind a handle, or a 404. */
  pathOf(handle: string): FileEntry {
    const e = this.entries.get(handle);
    if (!e) throw notFound('file', handle);
    return e;
  }

  async ref(handle: string): Promise<FileRef> {
    return this.refOf(this.pathOf(handle));
  }

  /** An archive to read, by handle: a kept one or one the user granted. */
  async readable(handle: string): Promise<{ path: string; ref: FileRef }> {
    const e = this.pathOf(handle);
    if (e.purpose === 'write') {
      const st = await stat(e.path).catch(() => null);
      if (!st?.isFile()) throw badRequest('Not an archive to open', 'That file was chosen as a place to save to and holds no archive yet.');
    }
    return { path: e.path, ref: await this.refOf(e) };
  }

  /** A destination to write an export to, by handle. */
  writable(handle: string): FileEntry {
    const e = this.pathOf(handle);
    if (e.purpose !== 'write')
      throw badRequest(
        'Not a save destination',
        'That file was not chosen as a place to save to. Pick a destination with the save dialog.',
      );
    return e;
  }

  /** After an export wrote a granted destination: the file may now be opened too. */
  async written(handle: string): Promise<FileRef> {
    const e = this.pathOf(handle);
    if (e.purpose === 'write') {
      // An export the user saved: a database's rows, readable by its owner only (as pg_dump's are not,
      // but as a secret-bearing file should be).
      await chmod(e.path, 0o600).catch(() => undefined);
      e.purpose = 'read';
    }
    this.options.onChange?.();
    return this.refOf(e);
  }

  /** A new path in archives/ for an export kept by the app: `<db>-<timestamp>[suffix].tar.gz` (-2, -3…
   *  when that name is taken). */
  newArchivePath(database: string, suffix = '', encrypted = false): string {
    const stem = `${safeFilePart(database)}-${timestampForFile()}${suffix}`;
    for (let n = 1; ; n++) {
      const path = join(this.archivesDir, `${stem}${n === 1 ? '' : `-${n}`}.tar.gz${encrypted ? '.enc' : ''}`);
      if (!existsSync(path) && !this.reserved.has(path)) {
        this.reserved.add(path);
        return path;
      }
    }
  }

  /** Registers a file the app wrote into archives/ and returns its handle. */
  async keep(path: string, name = basename(path)): Promise<FileRef> {
    const abs = resolve(path);
    if (!this.isKeptPath(abs)) throw new Error(`keep(): ${abs} is not in archives/ or uploads/`);
    // An exported archive holds a database's rows: readable by its owner only.
    await chmod(abs, 0o600).catch(() => undefined);
    let entry = [...this.entries.values()].find((e) => e.path === abs && e.purpose === 'kept');
    if (!entry) {
      entry = { handle: this.newHandle(), path: abs, purpose: 'kept', name };
      this.entries.set(entry.handle, entry);
      await this.persist();
    }
    this.options.onChange?.();
    return this.refOf(entry);
  }

  // ─── FileAccess (the doors) ──────────────────────────────────────────────────────────────────────

  async registerPath(path: string, purpose: 'read' | 'write'): Promise<FileRef> {
    const abs = resolve(path);
    const name = basename(abs);
    if (purpose === 'read') {
      if (!ARCHIVE_NAME.test(name))
        throw badRequest(
          'Not an MR4 archive',
          `${name} is not a .tar.gz archive.`,
          'Pick a file ending in .tar.gz, .tgz or (encrypted) .tar.gz.enc.',
        );
      const st = await stat(abs).catch(() => null);
      if (!st) throw badRequest('File not found', `${name} does not exist (any more).`, 'Pick the file again.');
      if (!st.isFile()) throw badRequest('Not a file', `${name} is not a regular file.`, 'Pick an archive file.');
      const fh = await open(abs, 'r').catch(() => null);
      if (!fh) throw badRequest('Cannot read the file', `${name} cannot be opened for reading.`, "Check the file's permissions.");
      try {
        const magic = Buffer.alloc(2);
        const { bytesRead } = await fh.read(magic, 0, 2, 0);
        if (bytesRead < 2 || !archiveHead(magic))
          throw badRequest('Not a gzip file', `${name} is not a gzip-compressed archive.`, 'Pick an archive exported by MR4 (.tar.gz).');
      } finally {
        await fh.close();
      }
    } else {
      const dir = await stat(dirname(abs)).catch(() => null);
      if (!dir?.isDirectory())
        throw badRequest('Folder not found', `The folder ${dirname(abs)} does not exist.`, 'Choose an existing folder.');
      const existing = await stat(abs).catch(() => null);
      if (existing && !existing.isFile())
        throw badRequest('Not a file', `${name} exists and is not a regular file.`, 'Choose another name.');
    }
    let entry = [...this.entries.values()].find((e) => e.path === abs && e.purpose === purpose);
    if (!entry) {
      entry = { handle: this.newHandle(), path: abs, purpose, name };
      this.entries.set(entry.handle, entry);
    }
    return this.refOf(entry);
  }

  async receiveUpload(name: string, body: Readable, declaredSize: number | null): Promise<FileRef> {
    const max = this.uploadMaxBytes;
    const tooBig = () =>
      badRequest(
        'Archive too large',
        `The upload is larger than the limit of ${formatBytes(max)}.`,
        'Open large archives in the desktop app, or split the export by tables.',
      );
    if (declaredSize !== null && declaredSize > max) throw tooBig();
    const cap = this.uploadTotalMaxBytes;
    const full = () =>
      new ServiceError(400, {
        title: 'No room for more uploads',
        message: `The archives uploaded to this app would take more than the ${formatBytes(cap)} allowed in all (${formatBytes(this.uploadsUsed)} are in use).`,
        hint: 'Uploads are deleted 24 hours after they arrive. Wait for that, delete old files in the uploads folder of the data folder, or open large archives in the desktop app or with the mr4 command line.',
        code: 'MR4_UPLOADS_FULL',
      });
    // Expired uploads first leave room; files removed by hand are noticed.
    await this.sweepUploads().catch(() => undefined);
    await this.countUploads();
    if (declaredSize !== null && this.uploadsUsed + declaredSize > cap) throw full();
    const display = cleanName(name);
    const id = this.newHandle();
    const tmpName = `.incoming-${id}`;
    const tmp = join(this.uploadsDir, tmpName);
    const final = join(this.uploadsDir, `${id}.tar.gz`);
    const out = createWriteStream(tmp, { flags: 'wx', mode: 0o600 });
    let size = 0;
    // Counted as it arrives, so that uploads streaming at once cannot pass the cap together.
    this.incoming.set(tmpName, 0);
    let counted = 0;
    const release = () => {
      this.uploadsUsed -= counted;
      counted = 0;
    };
    try {
      size = await new Promise<number>((resolvePromise, reject) => {
        let total = 0;
        let head = Buffer.alloc(0);
        let settled = false;
        const cleanup = () => {
          body.off('data', onData);
          body.off('end', onEnd);
          body.off('error', onError);
          out.off('error', onError);
        };
        const fail = (error: unknown) => {
          if (settled) return;
          settled = true;
          cleanup();
          // The rest of the body is left unread; the door closes the connection after answering.
          body.pause();
          out.on('error', () => undefined);
          // The file may still be opening: it is only gone for good once the stream has closed.
          if (out.closed) reject(error);
          else out.once('close', () => reject(error));
          out.destroy();
        };
        const onError = (error: unknown) => fail(error);
        const onData = (chunk: Buffer) => {
          total += chunk.length;
          if (total > max) return fail(tooBig());
          if (this.uploadsUsed + chunk.length > cap) return fail(full());
          this.uploadsUsed += chunk.length;
          counted += chunk.length;
          this.incoming.set(tmpName, total);
          if (head.length < 2) {
            head = Buffer.concat([head, chunk.subarray(0, 2)]).subarray(0, 2);
            if (head.length === 2 && !archiveHead(head)) {
              return fail(
                badRequest(
                  'Not a gzip file',
                  `${display} is not a gzip-compressed archive.`,
                  'Upload an archive exported by MR4 (.tar.gz).',
                ),
              );
            }
          }
          if (!out.write(chunk)) {
            body.pause();
            out.once('drain', () => !settled && body.resume());
          }
        };
        const onEnd = () => {
          if (settled) return;
          if (head.length < 2) return fail(badRequest('Not a gzip file', `${display} is empty or not a gzip-compressed archive.`));
          if (declaredSize !== null && total !== declaredSize)
            return fail(badRequest('Upload incomplete', `The upload ended after ${total} of ${declaredSize} bytes.`, 'Try again.'));
          settled = true;
          cleanup();
          out.end(() => resolvePromise(total));
        };
        body.on('data', onData);
        body.on('end', onEnd);
        body.on('error', onError);
        out.on('error', onError);
        body.resume();
      });
      await rename(tmp, final);
      // The file was created 0600; make sure whatever the umask or a rename did, it is.
      await chmod(final, 0o600);
    } catch (error) {
      await rm(tmp, { force: true });
      release();
      throw error;
    } finally {
      this.incoming.delete(tmpName);
    }
    try {
      // Refuse links, "..", absolute names, too many entries and decompression bombs now, before the
      // upload is listed anywhere. An encrypted archive cannot be read without its passphrase: its
      // header is checked now, and everything else (authenticated chunk by chunk) when it is opened.
      const limits = uploadLimits(size);
      const head = Buffer.alloc(88);
      const fh = await open(final, 'r');
      const { bytesRead } = await fh.read(head, 0, head.length, 0).finally(() => fh.close());
      if (isEncryptedHead(head.subarray(0, bytesRead))) parseHeader(head.subarray(0, bytesRead));
      else {
        await openArchive(final, { limits });
        await walkArchive(final, async (_n, entry) => void entry.resume(), { limits });
      }
    } catch (error) {
      await rm(final, { force: true });
      release();
      const msg = (error as Error)?.message ?? String(error);
      throw new ServiceError(400, {
        title: 'Not a usable archive',
        message: `${display} was refused: ${msg}`,
        hint: 'Upload an archive exported by MR4 (.tar.gz), unaltered.',
        code: 'ArchiveError',
      });
    }
    const entry: FileEntry = { handle: id, path: final, purpose: 'kept', name: display };
    this.entries.set(id, entry);
    await this.persist();
    this.options.onChange?.();
    return this.refOf(entry);
  }

  async downloadTicket(handle: string): Promise<{ url: string }> {
    const e = this.pathOf(handle);
    const st = await stat(e.path).catch(() => null);
    if (!st?.isFile()) throw notFound('file', handle);
    const now = Date.now();
    for (const [t, v] of this.tickets) if (v.expires < now) this.tickets.delete(t);
    const ticket = randomBytes(32).toString('base64url');
    this.tickets.set(ticket, { handle, expires: now + this.ticketTtlMs });
    return { url: `/api/download/${ticket}` };
  }

  async redeemDownload(ticket: string): Promise<{ path: string; name: string; size: number } | null> {
    const t = this.tickets.get(ticket);
    if (!t) return null;
    this.tickets.delete(ticket);
    if (t.expires < Date.now()) return null;
    const e = this.entries.get(t.handle);
    if (!e) return null;
    const st = await stat(e.path).catch(() => null);
    if (!st?.isFile()) return null;
    return { path: e.path, name: e.name, size: st.size };
  }

  /** Kept archives (archives/ and uploads/), newest first. */
  async list(): Promise<FileRef[]> {
    let added = false;
    const refs: FileRef[] = [];
    for (const dir of [this.archivesDir, this.uploadsDir]) {
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        if (name.startsWith('.') || !ARCHIVE_NAME.test(name)) continue;
        const path = join(dir, name);
        let entry = [...this.entries.values()].find((e) => e.path === path && e.purpose === 'kept');
        if (!entry) {
          entry = { handle: this.newHandle(), path, purpose: 'kept', name };
          this.entries.set(entry.handle, entry);
          added = true;
        }
        const st = await stat(path).catch(() => null);
        if (st?.isFile()) refs.push({ handle: entry.handle, name: entry.name, size: st.size, modifiedAt: st.mtime.toISOString() });
      }
    }
    if (added) await this.persist();
    return refs.sort((a, b) => b.modifiedAt.localeCompare(a.modifiedAt));
  }
}

export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${v.toFixed(v >= 10 ? 0 : 1)} ${units[i]}`;
}
