// The passphrase or key file of encrypted archives, as the CLI gets it: --key-file FILE,
// --passphrase-file FILE (its first line), the MR4_PASSPHRASE variable, or typed at a terminal (twice
// when encrypting). Never echoed, printed or kept; a script without any of them is told what to give
// (bad usage, exit 2, before anything is touched).
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { type ArchiveSecret, checkKeyFile } from '../engine/archive/crypto';
import { archiveEncryption } from '../engine/archive/reader';
import { UsageError } from './options';
import { askSecret, canPrompt } from './prompt';

export interface SecretOptions {
  passphraseFile?: string;
  keyFile?: string;
}

export const PASSPHRASE_ENV = 'MR4_PASSPHRASE';
export const MIN_PASSPHRASE = 8;

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read the ${what} ${path}: ${(error as Error).message}`);
  }
}

async function keyFileSecret(path: string): Promise<ArchiveSecret> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new UsageError(`Cannot read the key file ${path}: ${(error as Error).message}`);
  }
  try {
    return { keyFile: checkKeyFile(bytes, `The key file ${path}`) };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The passphrase from a file (its first line) or the environment, if given. */
async function givenPassphrase(opts: SecretOptions, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (opts.passphraseFile) {
    const text = (await readText(opts.passphraseFile, 'passphrase file')).split(/\r?\n/)[0];
    if (!text) throw new UsageError(`The passphrase file ${opts.passphraseFile} is empty; its first line is the passphrase.`);
    return text;
  }
  const fromEnv = env[PASSPHRASE_ENV];
  return fromEnv ? fromEnv : undefined;
}

/** What opens the archives being read (an import's archive and base, a diff's): undefined when none
 *  of them is encrypted. */
export async function secretForReading(
  paths: string[],
  opts: SecretOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ArchiveSecret | undefined> {
  if (opts.keyFile) return keyFileSecret(opts.keyFile);
  const encrypted: { path: string; source: string }[] = [];
  for (const p of paths) {
    const source = await archiveEncryption(p).catch(() => null);
    if (source) encrypted.push({ path: p, source });
  }
  const given = await givenPassphrase(opts, env);
  if (given) return { passphrase: given };
  if (!encrypted.length) return undefined;
  const first = encrypted[0];
  if (first.source === 'key-file') throw new UsageError(`${first.path} is encrypted with a key file: give it with --key-file FILE.`);
  if (canPrompt()) return { passphrase: await askSecret(`Passphrase for ${basename(first.path)}: `) };
  throw new UsageError(
    `${first.path} is encrypted: give its passphrase with --passphrase-file FILE or ${PASSPHRASE_ENV} (or run mr4 on a terminal to be asked).`,
  );
}

/** What an export encrypts with (--encrypt or --key-file), or undefined. */
export async function secretForWriting(
  encrypt: boolean,
  opts: SecretOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ArchiveSecret | undefined> {
  if (opts.keyFile) return keyFileSecret(opts.keyFile);
  if (!encrypt) {
    if (opts.passphraseFile) throw new UsageError('--passphrase-file is for encrypted archives: add --encrypt to encrypt this one.');
    return undefined;
  }
  let passphrase = await givenPassphrase(opts, env);
  if (!passphrase) {
    if (!canPrompt())
      throw new UsageError(
        `--encrypt needs a passphrase: give it with --passphrase-file FILE or ${PASSPHRASE_ENV} (or run mr4 on a terminal to be asked), or use --key-file FILE.`,
      );
    passphrase = await askSecret('Passphrase for the archive: ');
    if (passphrase.length >= MIN_PASSPHRASE && (await askSecret('The same passphrase again: ')) !== passphrase) {
      throw new UsageError('The two passphrases differ; nothing was exported.');
    }
  }
  if (passphrase.length < MIN_PASSPHRASE)
    throw new UsageError(`A passphrase needs at least ${MIN_PASSPHRASE} characters (a few words are best).`);
  return { passphrase };
}

/** A mask seed: --mask-seed-file FILE (its bytes), or MR4_MASK_SEED. */
export async function maskSeed(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<Uint8Array | undefined> {
  if (path) {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      throw new UsageError(`Cannot read the mask seed file ${path}: ${(error as Error).message}`);
    }
    if (bytes.length < 16)
      throw new UsageError(
        `The mask seed file ${path} holds ${bytes.length} bytes; a seed needs at least 16 (make one with: head -c 32 /dev/urandom > mask.seed).`,
      );
    return bytes;
  }
  const fromEnv = env.MR4_MASK_SEED;
  if (fromEnv !== undefined) {
    if (fromEnv.length < 16) throw new UsageError('MR4_MASK_SEED needs at least 16 characters.');
    return Buffer.from(fromEnv, 'utf8');
  }
  return undefined;
}
