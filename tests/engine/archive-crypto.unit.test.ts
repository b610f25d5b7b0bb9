// The encrypted envelope on its own: what goes in comes out, and any change to the bytes — one bit
// anywhere, a chunk dropped, repeated or moved, the file cut at any point or extended — is an error
// before any plaintext of the damaged part is released; a wrong passphrase is told apart from damage.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, test } from 'vitest';
import {
  DecryptStream,
  EncryptStream,
  HEADER_SIZE,
  newEnvelope,
  parseHeader,
  SecretRequiredError,
  TamperedArchiveError,
  unlock,
  Unlocker,
  WrongSecretError,
} from '../../src-main/engine/archive/crypto';

// Fast scrypt parameters for the many cases here; the real ones are tested once below.
const FAST = { log2N: 10, r: 8, p: 1 };

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
}

async function encrypt(plain: Buffer, passphrase = 'correct horse'): Promise<Buffer> {
  const { header, keys } = await newEnvelope({ passphrase }, FAST);
  const enc = new EncryptStream(header, keys);
  const out = collect(enc);
  // Fed in uneven pieces, as a stream would.
  await pipeline(Readable.from(pieces(plain)), enc);
  return out;
}

function* pieces(buf: Buffer): Generator<Buffer> {
  let at = 0;
  let n = 1;
  while (at < buf.length) {
    const size = Math.min(buf.length - at, ((n * 7919) % 100_000) + 1);
    yield buf.subarray(at, at + size);
    at += size;
    n++;
  }
}

async function decrypt(file: Buffer, passphrase = 'correct horse'): Promise<{ plain: Buffer; released: number }> {
  const header = parseHeader(file.subarray(0, HEADER_SIZE));
  const keys = await unlock(header, { passphrase });
  const dec = new DecryptStream(header, keys);
  let released = 0;
  dec.on('data', (c: Buffer) => (released += c.length));
  const parts: Buffer[] = [];
  dec.on('data', (c: Buffer) => parts.push(c));
  try {
    await pipeline(Readable.from(pieces(file.subarray(HEADER_SIZE))), dec);
  } catch (error) {
    throw Object.assign(error as Error, { released });
  }
  return { plain: Buffer.concat(parts), released };
}

describe('round trip', () => {
  for (const size of [0, 1, 65535, 65536, 65537, 3 * 65536, 200_001]) {
    test(`${size} bytes`, async () => {
      const plain = randomBytes(size);
      const file = await encrypt(plain);
      // Header, one 16-byte tag per chunk, the last chunk always shorter than 64 KiB.
      expect(file.length).toBe(HEADER_SIZE + size + 16 * (Math.floor(size / 65536) + 1));
      expect((await decrypt(file)).plain.equals(plain)).toBe(true);
    });
  }

  test('the real scrypt parameters (2^17, 8, 1) derive once per archive', async () => {
    const { header, keys } = await newEnvelope({ passphrase: 'p' });
    expect([header.log2N, header.r, header.p]).toEqual([17, 8, 1]);
    const unlocker = new Unlocker({ passphrase: 'p' });
    const started = performance.now();
    const a = await unlocker.keysFor(parseHeader(header.bytes));
    const first = performance.now() - started;
    const b = await unlocker.keysFor(parseHeader(header.bytes));
    expect(a.aes.equals(keys.aes)).toBe(true);
    expect(b).toBe(a);
    expect(first).toBeGreaterThan(20);
  });

  test('a key file instead of a passphrase', async () => {
    const key = randomBytes(32);
    const { header, keys } = await newEnvelope({ keyFile: key });
    const h = parseHeader(header.bytes);
    expect(h.source).toBe('key-file');
    expect((await unlock(h, { keyFile: key })).aes.equals(keys.aes)).toBe(true);
    await expect(unlock(h, { keyFile: randomBytes(32) })).rejects.toBeInstanceOf(WrongSecretError);
    await expect(unlock(h, { passphrase: 'x' })).rejects.toBeInstanceOf(SecretRequiredError);
  });
});

describe('refused', () => {
  const plain = randomBytes(5 * 65536 + 1234);
  let file: Buffer;
  const ready = encrypt(plain).then((f) => (file = f));

  test('a wrong passphrase, before any chunk is read', async () => {
    await ready;
    await expect(decrypt(file, 'Correct horse')).rejects.toBeInstanceOf(WrongSecretError);
    await expect(unlock(parseHeader(file.subarray(0, HEADER_SIZE)), undefined)).rejects.toBeInstanceOf(SecretRequiredError);
  });

  test('one bit flipped anywhere', async () => {
    await ready;
    const record = 65536 + 16;
    for (const at of [
      0,
      9,
      20,
      60,
      HEADER_SIZE,
      HEADER_SIZE + 5,
      HEADER_SIZE + record - 1,
      HEADER_SIZE + 2 * record + 100,
      file.length - 17,
      file.length - 1,
    ]) {
      const bad = Buffer.from(file);
      bad[at] ^= 0x04;
      const attempt = decrypt(bad);
      const error = await attempt.then(
        () => null,
        (e: Error & { released?: number }) => e,
      );
      expect(error, `byte ${at}`).not.toBeNull();
      if (at < HEADER_SIZE) expect(error).toBeInstanceOf(at < 16 ? Error : WrongSecretError);
      else {
        expect(error).toBeInstanceOf(TamperedArchiveError);
        // Nothing of the altered chunk came out: only the whole chunks before it.
        const chunk = Math.floor((at - HEADER_SIZE) / record);
        expect(error!.released).toBeLessThanOrEqual(chunk * 65536);
      }
    }
  });

  test('cut at any point, chunks dropped, repeated or swapped, bytes appended', async () => {
    await ready;
    const record = 65536 + 16;
    const body = file.subarray(HEADER_SIZE);
    const chunks = [];
    for (let i = 0; i < body.length; i += record) chunks.push(body.subarray(i, i + record));
    const head = file.subarray(0, HEADER_SIZE);
    const variants: [string, Buffer][] = [
      ...[HEADER_SIZE, HEADER_SIZE + 1, HEADER_SIZE + record, HEADER_SIZE + 2 * record, HEADER_SIZE + 2 * record + 7, file.length - 1].map(
        (n) => [`cut at ${n}`, file.subarray(0, n)] as [string, Buffer],
      ),
      ['last chunk dropped', Buffer.concat([head, ...chunks.slice(0, -1)])],
      ['a chunk dropped', Buffer.concat([head, chunks[0], ...chunks.slice(2)])],
      ['a chunk repeated', Buffer.concat([head, chunks[0], ...chunks])],
      ['two chunks swapped', Buffer.concat([head, chunks[1], chunks[0], ...chunks.slice(2)])],
      ['bytes appended', Buffer.concat([file, Buffer.from('x')])],
      ['a whole archive appended', Buffer.concat([file, body])],
    ];
    for (const [what, bad] of variants) {
      await expect(decrypt(bad), what).rejects.toBeInstanceOf(TamperedArchiveError);
    }
  });

  test('a header asking for too much memory', async () => {
    await ready;
    const bad = Buffer.from(file.subarray(0, HEADER_SIZE));
    bad[10] = 30;
    expect(() => parseHeader(bad)).toThrow(/scrypt parameters beyond/);
  });
});
