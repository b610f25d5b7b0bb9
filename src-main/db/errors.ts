// The errors of making a connection: to the database (ConnectionError) and, for a connection through an
// SSH tunnel, to the SSH server (SshError, which says at which step it failed).

export class ConnectionError extends Error {
  override name = 'ConnectionError';
  /** The SQLSTATE or system error code behind it (28P01, 3D000, ECONNREFUSED, …). */
  readonly code?: string;
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    const code = (cause as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string') this.code = code;
  }
}

/** Where a tunneled connection failed: reaching the SSH server, its host key, logging in. (A failure
 *  after the tunnel is up is the database's: a ConnectionError.) */
export type SshStep = 'ssh-connect' | 'ssh-host-key' | 'ssh-auth';

/** The host key the SSH server presented, when known_hosts does not vouch for it. */
export interface HostKeyFacts {
  /** The SSH server as typed, and its port. */
  host: string;
  port: number;
  keyType: string;
  /** SHA256:… as OpenSSH prints it. */
  fingerprint: string;
  /** unknown: a first connection (accept it after checking the fingerprint); changed: known_hosts holds
   *  another key for this host (refused); revoked: the key is marked @revoked (refused). */
  status: 'unknown' | 'changed' | 'revoked';
  /** For a changed key: the keys on file, where, and their fingerprints. */
  known?: { file: string; line: number; fingerprint: string }[];
}

export const SSH_CODES = {
  'ssh-connect': 'MR4_SSH_CONNECT',
  'ssh-auth': 'MR4_SSH_AUTH',
  unknown: 'MR4_SSH_HOST_KEY_UNKNOWN',
  changed: 'MR4_SSH_HOST_KEY_CHANGED',
  revoked: 'MR4_SSH_HOST_KEY_REVOKED',
} as const;

export class SshError extends ConnectionError {
  override name = 'SshError';
  override readonly code: string;
  constructor(
    readonly step: SshStep,
    message: string,
    readonly hostKey?: HostKeyFacts,
    cause?: unknown,
  ) {
    super(message, cause);
    this.code = step === 'ssh-host-key' && hostKey ? SSH_CODES[hostKey.status] : SSH_CODES[step === 'ssh-host-key' ? 'unknown' : step];
  }
}
