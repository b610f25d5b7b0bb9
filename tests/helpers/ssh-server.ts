// A real OpenSSH server for the SSH tunnel tests, started by the tests themselves: Debian's
// /usr/sbin/sshd (openssh-server; scripts/ensure-system-deps.sh installs it) run as
// `sshd -D -e -f <own sshd_config> -p <free port>`, listening on 127.0.0.1 only, with a host key made by
// ssh-keygen in a temp folder and an authorized_keys file of its own there. Never the system's sshd.
//
// As root (as CI runs) it logs a throwaway user in (created with a random password, no home and no
// shell, removed by stop()), so password logins are tested too; privilege separation needs /run/sshd,
// which is created if missing (what the package's service would do). As another user, sshd runs as that
// user and only key logins work: password tests are skipped, saying why. Where sshd is missing or does
// not start, startSshServer says why and the tests are skipped with that reason.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './pg-server';

const SSHD = '/usr/sbin/sshd';
/** Test users are named mr4ssh + 6 hex digits (one per server: test files run in parallel). */
const USER_PREFIX = 'mr4ssh';
const USER_COMMENT = 'mr4 SSH tunnel tests, pid ';

export interface TestSshServer {
  host: '127.0.0.1';
  port: number;
  /** The user keys (and, as root, the password) log in as. */
  user: string;
  /** The host key's SHA256:… fingerprint (as ssh-keygen -l prints it), its type and its public line. */
  fingerprint: string;
  hostKeyType: string;
  /** `[127.0.0.1]:PORT ssh-ed25519 AAAA…`, a known_hosts line for this server. */
  knownHostsLine: string;
  /** An unencrypted private key authorized to log in, and one protected by `passphrase`. */
  keyFile: string;
  encryptedKeyFile: string;
  passphrase: string;
  /** The user's password, when password logins work here (as root); else why not. */
  password: string | null;
  passwordSkip: string;
  dir: string;
  /** sshd's log so far. */
  log(): string;
  /** Open SSH sessions: sshd's own child processes (one per connection). */
  sessions(): number;
  /** Kills every session's process (the link drops, as when the server or the network goes away). */
  dropSessions(): void;
  /** A known_hosts line for this server with another host key of the same type (a changed key). */
  otherKeyLine(): string;
  stop(): void;
}

export type SshServerResult = { ok: true; server: TestSshServer } | { ok: false; reason: string };

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function keygen(file: string, passphrase = '', type = 'ed25519'): void {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', passphrase, '-C', 'mr4-test', '-f', file], { stdio: 'pipe' });
}

function fingerprintOf(pub: string): string {
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pub]).toString().split(/\s+/)[1];
}

/** Children of `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** Test users a run that was killed left behind (their creating process is gone): removed. */
function removeStaleUsers(): void {
  let passwd = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return;
  }
  for (const line of passwd.split('\n')) {
    const [name, , , , comment] = line.split(':');
    if (!name?.startsWith(USER_PREFIX) || !comment?.startsWith(USER_COMMENT)) continue;
    const pid = Number(comment.slice(USER_COMMENT.length));
    if (pid > 0 && existsSync(`/proc/${pid}`)) continue;
    spawnSync('userdel', [name], { stdio: 'ignore' });
  }
}

/** The throwaway login user (root only): created with a random password, no home, no shell. */
function createUser(): { user: string; password: string } | { reason: string } {
  removeStaleUsers();
  const user = USER_PREFIX + randomBytes(3).toString('hex');
  const add = spawnSync(
    'useradd',
    ['--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', '--comment', `${USER_COMMENT}${process.pid}`, user],
    { encoding: 'utf8' },
  );
  if (add.status !== 0) return { reason: `cannot create a test user (useradd: ${(add.stderr || add.error?.message || '').trim()})` };
  const password = randomBytes(18).toString('base64url');
  const set = spawnSync('chpasswd', [], { input: `${user}:${password}\n`, encoding: 'utf8' });
  if (set.status !== 0) {
    spawnSync('userdel', [user], { stdio: 'ignore' });
    return { reason: `cannot set the test user's password (chpasswd: ${(set.stderr || '').trim()})` };
  }
  return { user, password };
}

export async function startSshServer(): Promise<SshServerResult> {
  if (process.platform !== 'linux') return { ok: false, reason: "the SSH tests start Debian's sshd, on Linux only" };
  if (!existsSync(SSHD))
    return { ok: false, reason: `${SSHD} is missing: install openssh-server (scripts/ensure-system-deps.sh does, as npm test runs it)` };
  if (isRoot && !existsSync('/run/sshd')) {
    try {
      mkdirSync('/run/sshd', { mode: 0o755 });
    } catch (error) {
      return { ok: false, reason: `sshd needs /run/sshd, which cannot be created (${(error as Error).message})` };
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'mr4-sshd-'));
  // sshd reads authorized_keys as the user logging in: the folder must be reachable for the test user.
  chmodSync(dir, 0o755);
  keygen(join(dir, 'host_ed25519'));
  keygen(join(dir, 'other_host_ed25519'));
  keygen(join(dir, 'id_test'));
  const passphrase = 'correct horse battery';
  keygen(join(dir, 'id_test_encrypted'), passphrase);
  const authorized = join(dir, 'authorized_keys');
  writeFileSync(authorized, readFileSync(join(dir, 'id_test.pub'), 'utf8') + readFileSync(join(dir, 'id_test_encrypted.pub'), 'utf8'));
  chmodSync(authorized, 0o644);

  let user = userInfo().username;
  let password: string | null = null;
  let passwordSkip = '';
  let created = false;
  if (isRoot) {
    const made = createUser();
    if ('reason' in made) passwordSkip = made.reason;
    else {
      ({ user, password } = made);
      created = true;
    }
    if (!created) user = 'root';
  } else {
    passwordSkip = 'password logins need sshd to run as root (it checks /etc/shadow); these tests run as another user';
  }

  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_ed25519')}`,
      'PidFile none',
      `AuthorizedKeysFile ${authorized}`,
      'StrictModes no',
      'UsePAM no',
      `PasswordAuthentication ${password ? 'yes' : 'no'}`,
      'KbdInteractiveAuthentication no',
      `PermitRootLogin ${user === 'root' ? 'prohibit-password' : 'no'}`,
      `AllowUsers ${user}`,
      'AllowTcpForwarding yes',
      'AllowStreamLocalForwarding yes',
      'AllowAgentForwarding no',
      'X11Forwarding no',
      'PermitTTY no',
      'ForceCommand /bin/false',
      'MaxStartups 50',
      'MaxSessions 50',
      // DEBUG1: the log names where each channel was forwarded (server_request_direct_tcpip … target).
      'LogLevel DEBUG1',
      '',
    ].join('\n'),
  );
  const dropUser = () => {
    if (created) spawnSync('userdel', [user], { stdio: 'ignore' });
  };
  const check = spawnSync(SSHD, ['-t', '-f', config, '-p', String(port)], { encoding: 'utf8' });
  if (check.status !== 0) {
    dropUser();
    rmSync(dir, { recursive: true, force: true });
    return { ok: false, reason: `sshd refuses its test configuration: ${(check.stderr || check.error?.message || '').trim()}` };
  }
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', config, '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
  const started = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 10_000);
    const poll = setInterval(() => {
      if (/Server listening on/.test(log)) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve(true);
      }
    }, 25);
    child.once('exit', () => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve(false);
    });
  });
  if (!started) {
    child.kill('SIGKILL');
    dropUser();
    rmSync(dir, { recursive: true, force: true });
    return { ok: false, reason: `sshd did not start: ${log.trim().slice(-500) || 'no output'}` };
  }
  const pub = readFileSync(join(dir, 'host_ed25519.pub'), 'utf8').trim().split(/\s+/);
  const otherPub = readFileSync(join(dir, 'other_host_ed25519.pub'), 'utf8').trim().split(/\s+/);
  let stopped = false;
  return {
    ok: true,
    server: {
      host: '127.0.0.1',
      port,
      user,
      fingerprint: fingerprintOf(join(dir, 'host_ed25519.pub')),
      hostKeyType: pub[0],
      knownHostsLine: `[127.0.0.1]:${port} ${pub[0]} ${pub[1]}`,
      keyFile: join(dir, 'id_test'),
      encryptedKeyFile: join(dir, 'id_test_encrypted'),
      passphrase,
      password,
      passwordSkip,
      dir,
      log: () => log,
      sessions: () => (child.pid ? childrenOf(child.pid).length : 0),
      dropSessions() {
        // Each session is a privileged monitor and its unprivileged child (which holds the socket): all of them.
        const all: number[] = [];
        const walk = (pid: number) => {
          for (const c of childrenOf(pid)) {
            all.push(c);
            walk(c);
          }
        };
        if (child.pid) walk(child.pid);
        for (const pid of all) spawnSync('kill', ['-KILL', String(pid)]);
      },
      otherKeyLine: () => `[127.0.0.1]:${port} ${otherPub[0]} ${otherPub[1]}`,
      stop() {
        if (stopped) return;
        stopped = true;
        if (child.pid) for (const pid of childrenOf(child.pid)) spawnSync('kill', ['-TERM', String(pid)]);
        child.kill('SIGTERM');
        dropUser();
        rmSync(dir, { recursive: true, force: true });
      },
    },
  };
}

/** Waits until the server has no open session (the tunnel closed), or throws after `timeoutMs`. */
export async function waitNoSessions(server: TestSshServer, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (server.sessions() > 0) {
    if (Date.now() > until)
      throw new Error(`the SSH server still has ${server.sessions()} session(s) open after ${timeoutMs} ms:\n${server.log().slice(-1500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The local TCP ports a process listens on (Linux /proc: its sockets' inodes in /proc/net/tcp{,6}). */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m) inodes.add(m[1]);
      } catch {
        // Closed meanwhile.
      }
    }
  } catch {
    return [];
  }
  const ports: number[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // st 0A = LISTEN; f[9] is the inode.
      if (f.length > 9 && f[3] === '0A' && inodes.has(f[9])) ports.push(parseInt(f[1].split(':')[1], 16));
    }
  }
  return ports;
}
