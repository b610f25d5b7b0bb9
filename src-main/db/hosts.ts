// What a host field may hold, for database hosts and SSH hosts alike: a host name or IPv4 address, an
// IPv6 address (brackets optional, a %zone allowed), or (database hosts only) an absolute socket folder.
// Nothing that would be URL or command syntax somewhere.
import { isIP } from 'node:net';

/** Characters no host name, IP address or socket folder has; each would be URL syntax somewhere. */
const NOT_IN_A_HOST = /[\u0000-\u0020\u007f[\]?#@/\\'"<>`{}|^,;=&%+!$*()]/;

/** The host as a driver gets it (`ok`), or why it is not one. */
export function readHost(
  input: string,
  options: { socketFolder?: boolean } = {},
): { ok: true; host: string } | { ok: false; host: string; why: string } {
  const host = input.trim();
  const refuse = (why: string) => ({ ok: false as const, host, why });
  if (host === '') return refuse('it is empty.');
  if (host.startsWith('/')) {
    if (!options.socketFolder) return refuse('it is a path, not a host name.');
    // A Unix-domain socket folder (e.g. /var/run/postgresql): a path, without control characters.
    if (/[\u0000-\u001f\u007f]/.test(host)) return refuse('it contains a control character.');
    return { ok: true, host };
  }
  const bare = /^\[(.*)\]$/.exec(host)?.[1] ?? host;
  const [address, zone, ...more] = bare.split('%');
  if (isIP(address) === 6 && more.length === 0 && (zone === undefined || /^[A-Za-z0-9_.-]{1,64}$/.test(zone)))
    return { ok: true, host: bare };
  if (bare.includes(':')) return refuse('a host name has no ":" (put the port in the Port field; an IPv6 address must be complete).');
  if (NOT_IN_A_HOST.test(bare)) return refuse('it contains characters a host name cannot have.');
  if (bare.startsWith('-')) return refuse('a host name does not start with "-".');
  if (bare.length > 253) return refuse('it is longer than 253 characters.');
  return { ok: true, host: bare };
}
