import type { PasswordStore, SslMode } from '../../src-common/contract';

/** One line per SSL mode, as libpq and psql behave. */
export const SSL_HELP: Record<SslMode, string> = {
  disable: 'No encryption. Only for a database on this machine or a network you trust.',
  allow: 'Connects without encryption unless the server insists on it.',
  prefer: 'Encrypts when the server offers it, otherwise connects without (the psql default).',
  require: 'Always encrypted, but the server’s certificate is not checked (a self-signed server is accepted).',
  'verify-ca': 'Encrypted, and the server’s certificate must be signed by a trusted authority.',
  'verify-full': 'Encrypted, trusted certificate, and it must name this host. The safest choice.',
};

export const STORE_HELP: Record<PasswordStore, { label: string; help: string }> = {
  keychain: { label: 'System keychain', help: 'Encrypted by your operating system’s keychain.' },
  memory: { label: 'Memory only', help: 'Kept until the app quits; you type it again next time.' },
  pgpass: { label: '~/.pgpass file', help: 'Written to your ~/.pgpass (readable only by you), shared with psql.' },
};
