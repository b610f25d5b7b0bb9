// An encrypted archive's content as bytes, for scanning: the gzip stream once decrypted, and the tar
// stream once decompressed.
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DecryptStream, HEADER_SIZE, parseHeader, unlock } from '../../src-main/engine/archive/crypto';

export async function decryptedBytes(path: string, passphrase: string): Promise<{ gzip: Buffer; tar: Buffer }> {
  const file = readFileSync(path);
  const header = parseHeader(file.subarray(0, HEADER_SIZE));
  const dec = new DecryptStream(header, await unlock(header, { passphrase }));
  const gzipParts: Buffer[] = [];
  dec.on('data', (c: Buffer) => gzipParts.push(c));
  const gunzip = createGunzip();
  const tarParts: Buffer[] = [];
  gunzip.on('data', (c: Buffer) => tarParts.push(c));
  const done = new Promise((resolve, reject) => {
    gunzip.on('end', resolve);
    gunzip.on('error', reject);
    dec.on('error', reject);
  });
  Readable.from([file.subarray(HEADER_SIZE)])
    .pipe(dec)
    .pipe(gunzip);
  await done;
  return { gzip: Buffer.concat(gzipParts), tar: Buffer.concat(tarParts) };
}
