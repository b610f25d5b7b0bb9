// Encrypted archives: the .tar.gz bytes in a streaming AEAD envelope, so an archive can travel and sit
// on a laptop without anyone reading it, and any change to it is found before a byte of it is used.
//
//   header (88 bytes)
//     0  magic "\x89MR4ENC\n"
//     8  version (1)
//     9  key source: 1 passphrase (scrypt), 2 key file (HKDF-SHA256)
//    10  scrypt log2 N, r, p (for a key file: 0, 0, 0)
//    13  log2 of the chunk size (16: 64 KiB)
//    14  two reserved bytes (0)
//    16  salt (32 random bytes)
//    48  nonce prefix (7 random bytes), one reserved byte (0)
//    56  HMAC-SHA256 of bytes 0–55 under the header key: a wrong passphrase is told apart from damage
//   then chunks: AES-256-GCM of 64 KiB of plaintext each (the last one shorter, possibly empty) with its
//   16-byte tag. Chunk i's nonce is prefix ‖ i (32 bits, big-endian) ‖ final flag (1 on the last chunk,
//   0 before), and every chunk authenticates the whole header as associated data: a chunk altered,
//   dropped, repeated, moved or cut off, a missing last chunk or bytes after it, each fails. The reader
//   releases a chunk's plaintext only once its tag verified.
//
// Keys: the master key is scrypt(passphrase, salt, N = 2^17, r = 8, p = 1) — 128 MiB of memory and
// about half a second, for every guess — or, for a key file (at least 32 bytes, ideally random),
// HKDF-SHA256 of its bytes with the salt. The AES key and the header key are HKDF-SHA256 of the master
// key under their own labels. The salt is random per archive, so every archive has its own keys.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { ArchiveError } from './format';

export const ENCRYPTED_MAGIC = Buffer.from([0x89, 0x4d, 0x52, 0x34, 0x45, 0x4e, 0x43, 0x0a]);
export const HEADER_SIZE = 88;
const MAC_AT = 56;
const VERSION = 1;
const TAG = 16;
/** scrypt's parameters for new archives. */
export const SCRYPT = { log2N: 17, r: 8, p: 1 } as const;
/** The most an archive's header may ask of scrypt (a crafted header must not take gigabytes). */
const SCRYPT_MAX = { log2N: 20, r: 16, p: 4 };
export const CHUNK_SHIFT = 16;
export const MIN_KEY_FILE_BYTES = 32;
/** A suffix for encrypted archives' names (a convention: they are recognised by their first bytes). */
export const ENCRYPTED_SUFFIX = '.enc';

export type KeySource = 'passphrase' | 'key-file';

/** What unlocks an archive: a passphrase, or the bytes of a key file. Plain data (crosses into a
 *  worker thread); never logged, never written anywhere. */
export interface ArchiveSecret {
  passphrase?: string;
  keyFile?: Uint8Array;
}

export interface EnvelopeHeader {
  source: KeySource;
  log2N: number;
  r: number;
  p: number;
  chunkShift: number;
  salt: Buffer;
  noncePrefix: Buffer;
  /** The header's 88 bytes (the associated data of every chunk). */
  bytes: Buffer;
}

export interface EnvelopeKeys {
  aes: Buffer;
  mac: Buffer;
}

/** The archive is encrypted and nothing to unlock it was given. */
export class SecretRequiredError extends ArchiveError {
  override name = 'SecretRequiredError';
  readonly code = 'MR4_PASSPHRASE_REQUIRED';
  override damage = false;
  constructor(readonly source: KeySource) {
    super(
      source === 'passphrase'
        ? 'The archive is encrypted: give its passphrase (mr4: typed at the prompt, --passphrase-file FILE or MR4_PASSPHRASE; the app asks for it).'
        : 'The archive is encrypted with a key file: give it with --key-file FILE.',
    );
  }
}

/** The passphrase or key file does not open this archive (or its header was altered). */
export class WrongSecretError extends ArchiveError {
  override name = 'WrongSecretError';
  readonly code = 'MR4_WRONG_PASSPHRASE';
  override damage = false;
  constructor(readonly source: KeySource) {
    super(
      source === 'passphrase'
        ? 'The passphrase is not the one this archive was encrypted with (or the archive’s header was altered). Nothing was read from it.'
        : 'The key file is not the one this archive was encrypted with (or the archive’s header was altered). Nothing was read from it.',
    );
  }
}

/** Bytes of an encrypted archive that do not authenticate: altered, damaged, cut or extended. */
export class TamperedArchiveError extends ArchiveError {
  override name = 'TamperedArchiveError';
  readonly code = 'MR4_ARCHIVE_ALTERED';
  override damage = false;
}

function scrypt(passphrase: Buffer, salt: Buffer, log2N: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** log2N;
  return new Promise((resolve, reject) =>
    scryptCb(passphrase, salt, 32, { N, r, p, maxmem: 128 * N * r * p + 32 * 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

function hkdf(key: Buffer, salt: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, salt, Buffer.from(info, 'utf8'), 32));
}

function subkeys(master: Buffer, salt: Buffer): EnvelopeKeys {
  return { aes: hkdf(master, salt, 'mr4 archive v1: aes-256-gcm'), mac: hkdf(master, salt, 'mr4 archive v1: header') };
}

function secretBytes(secret: ArchiveSecret, source: KeySource): Buffer | null {
  if (source === 'passphrase')
    return typeof secret.passphrase === 'string' && secret.passphrase.length
      ? Buffer.from(secret.passphrase.normalize('NFC'), 'utf8')
      : null;
  return secret.keyFile && secret.keyFile.length ? Buffer.from(secret.keyFile) : null;
}

/** A key file's bytes, checked (the app and the CLI read the file; the engine gets bytes). */
export function checkKeyFile(bytes: Uint8Array, name = 'the key file'): Uint8Array {
  if (bytes.length < MIN_KEY_FILE_BYTES) {
    throw new Error(
      `${name} holds ${bytes.length} bytes; a key file needs at least ${MIN_KEY_FILE_BYTES} (make one with: head -c 32 /dev/urandom > archive.key)`,
    );
  }
  return bytes;
}

async function masterKey(secret: ArchiveSecret, h: Pick<EnvelopeHeader, 'source' | 'salt' | 'log2N' | 'r' | 'p'>): Promise<Buffer> {
  const bytes = secretBytes(secret, h.source);
  if (!bytes) throw new SecretRequiredError(h.source);
  if (h.source === 'passphrase') return scrypt(bytes, h.salt, h.log2N, h.r, h.p);
  return hkdf(bytes, h.salt, 'mr4 archive v1: key file');
}

function headerMac(key: Buffer, head: Buffer): Buffer {
  return createHmac('sha256', key).update(head.subarray(0, MAC_AT)).digest();
}

/**
 * Keys for a new archive (the salt and nonce prefix drawn here). `secret` holds either a passphrase
 * (scrypt) or a key file's bytes; a raw 32-byte key given as a key file serves the spool's own
 * encryption too.
 */
export async function newEnvelope(
  secret: ArchiveSecret,
  params: { log2N: number; r: number; p: number } = SCRYPT,
): Promise<{ header: EnvelopeHeader; keys: EnvelopeKeys }> {
  const source: KeySource = secret.passphrase !== undefined ? 'passphrase' : 'key-file';
  const salt = randomBytes(32);
  const noncePrefix = randomBytes(7);
  const scryptParams = source === 'passphrase' ? params : { log2N: 0, r: 0, p: 0 };
  const master = await masterKey(secret, { source, salt, ...scryptParams });
  const keys = subkeys(master, salt);
  const bytes = Buffer.alloc(HEADER_SIZE);
  ENCRYPTED_MAGIC.copy(bytes, 0);
  bytes[8] = VERSION;
  bytes[9] = source === 'passphrase' ? 1 : 2;
  bytes[10] = scryptParams.log2N;
  bytes[11] = scryptParams.r;
  bytes[12] = scryptParams.p;
  bytes[13] = CHUNK_SHIFT;
  salt.copy(bytes, 16);
  noncePrefix.copy(bytes, 48);
  headerMac(keys.mac, bytes).copy(bytes, MAC_AT);
  return { header: { source, ...scryptParams, chunkShift: CHUNK_SHIFT, salt, noncePrefix, bytes }, keys };
}

export function isEncryptedHead(head: Buffer): boolean {
  return head.length >= ENCRYPTED_MAGIC.length && head.subarray(0, ENCRYPTED_MAGIC.length).equals(ENCRYPTED_MAGIC);
}

/** Reads an encrypted archive's header (its first HEADER_SIZE bytes), checking what it asks for. */
export function parseHeader(bytes: Buffer): EnvelopeHeader {
  if (bytes.length < HEADER_SIZE) throw new TamperedArchiveError('the encrypted archive is truncated: it ends inside its header');
  if (!isEncryptedHead(bytes)) throw new ArchiveError('not an encrypted MR4 archive');
  const version = bytes[8];
  if (version !== VERSION)
    throw Object.assign(
      new ArchiveError(
        `the archive is encrypted with envelope version ${version}, which this version of mr4 does not read (it reads version ${VERSION})`,
      ),
      { damage: false },
    );
  const kind = bytes[9];
  if (kind !== 1 && kind !== 2)
    throw new TamperedArchiveError(`the encrypted archive's header names an unknown key source (${kind}): it is damaged or was altered`);
  const [log2N, r, p, chunkShift] = [bytes[10], bytes[11], bytes[12], bytes[13]];
  if (kind === 1 && (log2N < 10 || log2N > SCRYPT_MAX.log2N || r < 1 || r > SCRYPT_MAX.r || p < 1 || p > SCRYPT_MAX.p)) {
    throw new TamperedArchiveError(
      `the encrypted archive asks for scrypt parameters beyond what mr4 accepts (log2 N ${log2N}, r ${r}, p ${p}): it is damaged or was altered`,
    );
  }
  if (chunkShift < 10 || chunkShift > 24)
    throw new TamperedArchiveError(
      `the encrypted archive's header names a chunk size of 2^${chunkShift} bytes: it is damaged or was altered`,
    );
  return {
    source: kind === 1 ? 'passphrase' : 'key-file',
    log2N,
    r,
    p,
    chunkShift,
    salt: Buffer.from(bytes.subarray(16, 48)),
    noncePrefix: Buffer.from(bytes.subarray(48, 55)),
    bytes: Buffer.from(bytes.subarray(0, HEADER_SIZE)),
  };
}

/** Derives the archive's keys and checks them against the header's MAC. */
export async function unlock(header: EnvelopeHeader, secret: ArchiveSecret | undefined): Promise<EnvelopeKeys> {
  if (!secret) throw new SecretRequiredError(header.source);
  const keys = subkeys(await masterKey(secret, header), header.salt);
  const expected = headerMac(keys.mac, header.bytes);
  if (!timingSafeEqual(expected, header.bytes.subarray(MAC_AT, MAC_AT + 32))) throw new WrongSecretError(header.source);
  return keys;
}

/**
 * Unlocks archives for one run: keys are derived once per archive (by its salt), since a run reads an
 * archive more than once and scrypt costs half a second each time.
 */
export class Unlocker {
  private readonly keys = new Map<string, Promise<EnvelopeKeys>>();
  constructor(readonly secret: ArchiveSecret | undefined) {}
  keysFor(header: EnvelopeHeader): Promise<EnvelopeKeys> {
    const id = header.bytes.toString('hex');
    let k = this.keys.get(id);
    if (!k) {
      k = unlock(header, this.secret);
      this.keys.set(id, k);
      k.catch(() => this.keys.delete(id));
    }
    return k;
  }
}

/** The header of an encrypted archive file, or null for a plain one. */
export async function readEnvelopeHeader(path: string): Promise<EnvelopeHeader | null> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(HEADER_SIZE);
    const { bytesRead } = await fh.read(head, 0, HEADER_SIZE, 0);
    if (!isEncryptedHead(head.subarray(0, bytesRead))) return null;
    return parseHeader(head.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

function nonce(prefix: Buffer, index: number, final: boolean): Buffer {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0);
  n.writeUInt32BE(index, 7);
  n[11] = final ? 1 : 0;
  return n;
}

const MAX_CHUNKS = 2 ** 32 - 1;

/** Plaintext in, the header and then authenticated chunks out. */
export class EncryptStream extends Transform {
  private readonly size: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private index = 0;
  private started = false;

  constructor(
    private readonly header: EnvelopeHeader,
    private readonly keys: EnvelopeKeys,
  ) {
    super();
    this.size = 2 ** header.chunkShift;
  }

  private seal(plain: Buffer, final: boolean): Buffer {
    if (this.index >= MAX_CHUNKS) throw new Error('the archive is too large to encrypt (more than 2^32 chunks)');
    const c = createCipheriv('aes-256-gcm', this.keys.aes, nonce(this.header.noncePrefix, this.index++, final));
    c.setAAD(this.header.bytes);
    const body = c.update(plain);
    c.final();
    return Buffer.concat([body, c.getAuthTag()]);
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.push(this.header.bytes);
  }

  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    try {
      this.start();
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < this.size) return done();
      let all = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
      // A chunk is sealed as not final only once more bytes are known to follow it, so the last one
      // is always shorter than the chunk size (possibly empty).
      while (all.length > this.size) {
        this.push(this.seal(all.subarray(0, this.size), false));
        all = all.subarray(this.size);
      }
      this.pending = [all];
      this.pendingBytes = all.length;
      if (all.length === this.size) {
        this.push(this.seal(all, false));
        this.pending = [];
        this.pendingBytes = 0;
      }
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.start();
      const rest = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.push(this.seal(rest, true));
      done();
    } catch (error) {
      done(error as Error);
    }
  }
}

/**
 * Chunks in (the bytes after the header), plaintext out: each chunk is released only once its tag
 * verified. Fails on the first chunk that does not, on a missing last chunk and on bytes after it.
 */
export class DecryptStream extends Transform {
  private readonly record: number;
  private buf: Buffer = Buffer.alloc(0);
  private index = 0;
  private ended = false;
  /** Bytes of the file consumed so far (the header included). */
  private at = HEADER_SIZE;

  constructor(
    private readonly header: EnvelopeHeader,
    private readonly keys: EnvelopeKeys,
  ) {
    super({ readableHighWaterMark: 256 * 1024 });
    this.record = 2 ** header.chunkShift + TAG;
  }

  private open(sealed: Buffer, final: boolean): Buffer {
    if (this.ended)
      throw new TamperedArchiveError(
        `the encrypted archive goes on after its last chunk (at byte ${this.at}): bytes were appended or the archive was altered`,
      );
    const d = createDecipheriv('aes-256-gcm', this.keys.aes, nonce(this.header.noncePrefix, this.index, final));
    d.setAAD(this.header.bytes);
    d.setAuthTag(sealed.subarray(sealed.length - TAG));
    const plain = d.update(sealed.subarray(0, sealed.length - TAG));
    try {
      d.final();
    } catch {
      throw new TamperedArchiveError(
        `the encrypted archive was altered or is damaged: chunk ${this.index + 1} (bytes ${this.at}–${this.at + sealed.length - 1}) fails its authentication check${final ? ' (or the archive was cut short there)' : ''}. Nothing of it is used.`,
      );
    }
    this.at += sealed.length;
    this.index++;
    if (final) this.ended = true;
    return plain;
  }

  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    try {
      if (this.ended)
        throw new TamperedArchiveError(
          `the encrypted archive goes on after its last chunk (at byte ${this.at}): bytes were appended or the archive was altered`,
        );
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      // A full-size record followed by more bytes is never the last one (the last is always shorter).
      let offset = 0;
      while (this.buf.length - offset > this.record) {
        this.push(this.open(this.buf.subarray(offset, offset + this.record), false));
        offset += this.record;
      }
      this.buf = offset ? Buffer.from(this.buf.subarray(offset)) : this.buf;
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (!this.ended) {
        if (this.buf.length < TAG) {
          throw new TamperedArchiveError(
            'the encrypted archive is truncated: its last chunk is missing (was the file cut short while it was copied or downloaded?)',
          );
        }
        if (this.buf.length === this.record) {
          // A full record at the end: the writer always closes with a shorter one, so it was cut here.
          this.open(this.buf, false);
          throw new TamperedArchiveError(
            'the encrypted archive is truncated: it ends after a whole chunk, before its last one (was the file cut short?)',
          );
        }
        this.push(this.open(this.buf, true));
      } else if (this.buf.length) {
        throw new TamperedArchiveError(
          `the encrypted archive goes on after its last chunk (at byte ${this.at}): bytes were appended or the archive was altered`,
        );
      }
      this.buf = Buffer.alloc(0);
      done();
    } catch (error) {
      done(error as Error);
    }
  }
}

/** A random key for data that never leaves this process (the export's spool files). */
export async function ephemeralEnvelope(): Promise<{ header: EnvelopeHeader; keys: EnvelopeKeys }> {
  return newEnvelope({ keyFile: randomBytes(32) });
}
