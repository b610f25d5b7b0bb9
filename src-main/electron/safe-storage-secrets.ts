// The desktop app's secret store: each password encrypted with Electron's safeStorage (the OS keychain:
// macOS Keychain, Windows DPAPI, GNOME libsecret / KWallet on Linux) and kept as ciphertext in
// keychain-secrets.json in the data folder (mode 0600). The file never holds a password in clear; the key never
// leaves the OS keychain. On Linux without a keyring safeStorage falls back to a fixed key
// ("basic_text"), which only obfuscates: the store then carries a warning the window shows.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { safeStorage } from 'electron';
import type { SecretStore } from '../services/secrets';
import { Serial, writeFileAtomic } from '../services/fs-util';

interface SecretsFile {
  version: 1;
  /** connection id → base64 of safeStorage.encryptString(password) */
  secrets: Record<string, string>;
}

/** A warning when safeStorage's protection is weak, else undefined. Call after app ready. */
export function safeStorageWarning(): string | undefined {
  if (!safeStorage.isEncryptionAvailable()) {
    return 'This system offers no encryption for saved passwords: they cannot be kept. Passwords are asked for again after a restart (or keep them in ~/.pgpass).';
  }
  if (process.platform === 'linux') {
    const backend = safeStorage.getSelectedStorageBackend();
    if (backend === 'basic_text' || backend === 'unknown') {
      return `No desktop keyring is available (safeStorage backend: ${backend}), so saved passwords are only obfuscated, not encrypted. Install or unlock GNOME Keyring or KWallet and restart, or keep passwords in memory only.`;
    }
  }
  return undefined;
}

export class SafeStorageSecretStore implements SecretStore {
  readonly kind = 'keychain' as const;
  readonly warning: string | undefined;
  private readonly file: string;
  private readonly serial = new Serial();

  constructor(dataDir: string) {
    this.file = join(dataDir, 'keychain-secrets.json');
    this.warning = safeStorageWarning();
  }

  private async read(): Promise<SecretsFile> {
    try {
      const data = JSON.parse(await readFile(this.file, 'utf8')) as Partial<SecretsFile>;
      return { version: 1, secrets: data.secrets && typeof data.secrets === 'object' ? { ...data.secrets } : {} };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, secrets: {} };
      throw error;
    }
  }

  private write(data: SecretsFile): Promise<void> {
    return writeFileAtomic(this.file, `${JSON.stringify(data, null, 2)}\n`, 0o600);
  }

  async get(connectionId: string): Promise<string | undefined> {
    const stored = (await this.read()).secrets[connectionId];
    if (typeof stored !== 'string' || !safeStorage.isEncryptionAvailable()) return undefined;
    try {
      return safeStorage.decryptString(Buffer.from(stored, 'base64'));
    } catch {
      // Encrypted under another keyring or user: as if none were saved (the user is asked again).
      return undefined;
    }
  }

  set(connectionId: string, password: string): Promise<void> {
    return this.serial.run(async () => {
      if (!safeStorage.isEncryptionAvailable()) {
        throw new Error('Passwords cannot be saved encrypted on this system; choose "memory" or "~/.pgpass" for this connection.');
      }
      const data = await this.read();
      data.secrets[connectionId] = safeStorage.encryptString(password).toString('base64');
      await this.write(data);
    });
  }

  delete(connectionId: string): Promise<void> {
    return this.serial.run(async () => {
      const data = await this.read();
      if (!(connectionId in data.secrets)) return;
      delete data.secrets[connectionId];
      await this.write(data);
    });
  }
}
