// `mr4` through an SSH tunnel, against a real OpenSSH server the test starts on 127.0.0.1 (its own
// sshd_config, host key and authorized_keys; never the system's sshd) with the throwaway PostgreSQL
// behind it: export and import through the tunnel with a key, the agent and a password; the server's
// host key checked against known_hosts (an unknown key refused with its fingerprint and how to accept
// it, accepted once with --ssh-accept-host-key and remembered; a changed key always refused); a wrong
// passphrase, and the passphrase asked on a terminal without echo; the tunnel a direct stream (no port
// listens) that is closed after the job; Ctrl-C during a tunneled import rolls back and closes the
// tunnel; a tunnel that breaks mid-import is a lost connection, rolled back. Skipped, saying why, only
// where sshd cannot start.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, ensureBuilt, runCli, spawnCli } from './helpers/cli';
import { compareDatabases, fingerprint } from './helpers/compare';
import type { TestDb } from './helpers/db';
import { databasesForFile, scratchDir } from './helpers/engine';
import { atRandomPointOf, otherSessions, SCHEMA, sourceData, stagingLeftovers, TARGET_DATA } from './helpers/faults';
import { listeningPorts, startSshServer, waitNoSessions } from './helpers/ssh-server';
import { titled } from './helpers/skip';
import { tempDir } from './helpers/temp';

const started = await startSshServer();
const skipReason = started.ok ? '' : started.reason;
if (!started.ok) console.warn(`cli-ssh: skipped: ${skipReason}`);
const sshd = started.ok ? started.server : null;
afterAll(() => sshd?.stop());

const db = databasesForFile();
let small: TestDb;
let big: TestDb;
let archive: string;
const scratch = scratchDir();

/** A HOME (for ~/.ssh) and a data folder of their own, so nothing of the machine's is read or written. */
function freshPlace(): { home: string; data: string } {
  const home = tempDir('mr4-ssh-home-');
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  return { home, data: tempDir('mr4-ssh-data-') };
}

function env(place: { home: string; data: string }, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return cleanEnv({
    HOME: place.home,
    MR4_DATA_DIR: place.data,
    SSH_AUTH_SOCK: undefined,
    MR4_SSH_PASSPHRASE: undefined,
    MR4_SSH_PASSWORD: undefined,
    ...extra,
  });
}

/** --ssh for the test server. */
const ssh = () => ['--ssh', `${sshd!.user}@127.0.0.1:${sshd!.port}`];
/** A place whose data folder already knows the server's host key. */
function knownPlace(): { home: string; data: string } {
  const place = freshPlace();
  writeFileSync(join(place.data, 'known_hosts'), `${sshd!.knownHostsLine}\n`, { mode: 0o600 });
  return place;
}

/** The database's port, as the SSH server forwards to it. */
const portOf = (d: TestDb) => new URL(d.url).port;

beforeAll(async () => {
  if (!sshd) return;
  ensureBuilt();
  small = await db(
    `${SCHEMA} INSERT INTO item (code, body) SELECT 'c' || g, 'b' || g FROM generate_series(1, 500) g; INSERT INTO tag (item_id, label) SELECT id, 'l' FROM item;`,
  );
  big = await db(SCHEMA + sourceData(), { fromTemplate: true });
  archive = join(scratch, 'big.tar.gz');
  const r = await runCli(['export', '--db', big.url, '--out', archive, '--no-lineage']);
  expect(r.code, r.stderr).toBe(0);
}, 180_000);

describe.skipIf(!sshd)(titled('mr4 through an SSH tunnel', skipReason), () => {
  it('a first connection is refused with the host key fingerprint and how to accept it; accepted once, it is remembered', async () => {
    const place = freshPlace();
    const out = join(scratch, 'first.tar.gz');
    const args = ['export', '--db', small.url, '--out', out, ...ssh(), '--ssh-key', sshd!.keyFile];
    const logins = () => sshd!.log().split('Accepted publickey').length;
    const loginsBefore = logins();
    const refused = await runCli(args, { env: env(place) });
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain(`The authenticity of the SSH server ${sshd!.user}@127.0.0.1:${sshd!.port} cannot be established`);
    expect(refused.stderr).toContain(`${sshd!.hostKeyType} key fingerprint is ${sshd!.fingerprint}`);
    expect(refused.stderr).toContain(`--ssh-accept-host-key ${sshd!.fingerprint}`);
    expect(refused.stderr).toContain(`${place.data}/known_hosts`);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(place.data, 'known_hosts'))).toBe(false);
    // Refused before the login: the key was never offered.
    expect(logins()).toBe(loginsBefore);

    const json = await runCli([...args, '--json'], { env: env(place) });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).error).toMatchObject({
      name: 'SshError',
      code: 'MR4_SSH_HOST_KEY_UNKNOWN',
      message: expect.stringContaining(sshd!.fingerprint),
    });

    // Another fingerprint than the server's accepts nothing.
    const other = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${sshd!.keyFile}.pub`])
      .toString()
      .split(/\s+/)[1];
    const wrong = await runCli([...args, '--ssh-accept-host-key', other], { env: env(place) });
    expect(wrong.code, wrong.stderr).toBe(1);
    expect(wrong.stderr).toContain(`The fingerprint accepted, ${other}, is not this one.`);
    expect(existsSync(join(place.data, 'known_hosts'))).toBe(false);

    const accepted = await runCli([...args, '--ssh-accept-host-key', sshd!.fingerprint], { env: env(place) });
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(readFileSync(join(place.data, 'known_hosts'), 'utf8')).toBe(`${sshd!.knownHostsLine}\n`);
    // Remembered: the next run needs no option.
    const again = await runCli(['plan', '--db', small.url, ...ssh(), '--ssh-key', sshd!.keyFile], { env: env(place) });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('item');
    await waitNoSessions(sshd!);
  });

  it('exports and imports through the tunnel (a direct stream: no port listens), and the tunnel closes after each job', async () => {
    const place = knownPlace();
    const target = await db(SCHEMA + TARGET_DATA);
    const out = join(scratch, 'through.tar.gz');
    const exported = await runCli(['export', '--db', small.url, '--out', out, ...ssh(), '--ssh-key', sshd!.keyFile], { env: env(place) });
    expect(exported.code, exported.stderr).toBe(0);
    await waitNoSessions(sshd!);

    // While the import runs through the tunnel, mr4 listens on no TCP port (no local forward).
    const run = spawnCli(['import', out, '--db', target.url, '--mode', 'merge', ...ssh(), '--ssh-key', sshd!.keyFile], { env: env(place) });
    await run.waitForStderr(/Phase 2\/5/, 60_000);
    expect(listeningPorts(run.child.pid!)).toEqual([]);
    expect(sshd!.sessions()).toBeGreaterThan(0);
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/item\s+500/);
    expect(await compareDatabases(small.client, target.client, { targetMayHaveMore: true })).toEqual([]);
    await waitNoSessions(sshd!);
    expect(await otherSessions(target)).toBe(0);
    // The database connections went through sshd (its own log says where it forwarded them).
    expect(sshd!.log()).toContain(`target 127.0.0.1 port ${portOf(target)}`);
    expect(sshd!.log()).toContain(`target 127.0.0.1 port ${portOf(small)}`);
  });

  it('a hashed known_hosts entry in ~/.ssh (HashKnownHosts) vouches for the server', async () => {
    const place = freshPlace();
    const file = join(place.home, '.ssh', 'known_hosts');
    writeFileSync(file, `${sshd!.knownHostsLine}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'pipe' });
    expect(readFileSync(file, 'utf8')).toMatch(/^\|1\|/);
    const r = await runCli(['plan', '--db', small.url, ...ssh(), '--ssh-key', sshd!.keyFile], { env: env(place) });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(place.data, 'known_hosts'))).toBe(false);
  });

  it('a CHANGED host key is refused loudly, even with --ssh-accept-host-key', async () => {
    for (const where of ['home', 'data'] as const) {
      const place = freshPlace();
      const file = where === 'home' ? join(place.home, '.ssh', 'known_hosts') : join(place.data, 'known_hosts');
      writeFileSync(file, `# a key on file for this server\n${sshd!.otherKeyLine()}\n`);
      const before = readFileSync(file, 'utf8');
      for (const extra of [[], ['--ssh-accept-host-key', sshd!.fingerprint]]) {
        const r = await runCli(['plan', '--db', small.url, ...ssh(), '--ssh-key', sshd!.keyFile, ...extra], { env: env(place) });
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toContain(`WARNING: THE HOST KEY OF THE SSH SERVER ${sshd!.user}@127.0.0.1:${sshd!.port} HAS CHANGED`);
        expect(r.stderr).toContain('man-in-the-middle');
        expect(r.stderr).toContain(sshd!.fingerprint);
        const shown = where === 'home' ? '~/.ssh/known_hosts' : file;
        expect(r.stderr).toContain(`${shown} line 2`);
        expect(r.stderr).toContain(`ssh-keygen -R '[127.0.0.1]:${sshd!.port}' -f ${shown}`);
        expect(r.stderr).not.toContain('--ssh-accept-host-key SHA256');
        expect(readFileSync(file, 'utf8')).toBe(before);
      }
    }
  });

  it('a key with a passphrase: a wrong one says so at the login, the right one works, none without a terminal is bad usage', async () => {
    const place = knownPlace();
    const args = ['plan', '--db', small.url, ...ssh(), '--ssh-key', sshd!.encryptedKeyFile];
    const wrong = await runCli([...args, '--json'], { env: env(place, { MR4_SSH_PASSPHRASE: 'not the passphrase' }) });
    expect(wrong.code, wrong.stderr).toBe(1);
    expect(wrong.stderr).toContain(`The passphrase of the key ${sshd!.encryptedKeyFile} is wrong: it cannot log in to the SSH server`);
    expect(JSON.parse(wrong.stdout).error).toMatchObject({ name: 'SshError', code: 'MR4_SSH_AUTH' });
    expect(wrong.stderr + wrong.stdout).not.toContain('not the passphrase');

    const right = await runCli(args, { env: env(place, { MR4_SSH_PASSPHRASE: sshd!.passphrase }) });
    expect(right.code, right.stderr).toBe(0);

    const none = await runCli(args, { env: env(place) });
    expect(none.code, none.stderr).toBe(2);
    expect(none.stderr).toContain('is protected by a passphrase: set MR4_SSH_PASSPHRASE, or run mr4 on a terminal');
    await waitNoSessions(sshd!);
  });

  it('on a terminal, asks for the passphrase without echoing it, again when it is wrong', async () => {
    const place = knownPlace();
    const args = ['plan', '--db', small.url, ...ssh(), '--ssh-key', sshd!.encryptedKeyFile]
      .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
      .join(' ');
    // script(1) gives mr4 a terminal; what is written to its stdin is typed there.
    const child = spawn('script', ['-qfec', `${process.execPath} ${BIN} ${args}`, '/dev/null'], {
      env: env(place),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const times = (text: string) => out.split(text).length - 1;
    const until = async (text: string, count = 1) => {
      for (let i = 0; i < 400 && times(text) < count; i++) await new Promise((r) => setTimeout(r, 25));
      expect(times(text), `waiting for ${text} (${count})`).toBeGreaterThanOrEqual(count);
    };
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const prompt = `Enter passphrase for key '${sshd!.encryptedKeyFile}': `;
    await until(prompt);
    child.stdin!.write('typo-passphrase\r');
    // Typed only once the second prompt shows: keys typed before it are the terminal's to echo.
    await until(prompt, 2);
    child.stdin!.write(`${sshd!.passphrase}\r`);
    expect(await exited).toBe(0);
    child.stdin!.end();
    expect(out).toContain('item');
    expect(out).not.toContain('typo-passphrase');
    expect(out).not.toContain(sshd!.passphrase);
  });

  it('logs in with the SSH agent (SSH_AUTH_SOCK) without naming a key', async () => {
    const place = knownPlace();
    const socket = join(place.home, 'agent.sock');
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
      execFileSync('ssh-add', [sshd!.keyFile], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'pipe' });
      const r = await runCli(['plan', '--db', small.url, ...ssh()], { env: env(place, { SSH_AUTH_SOCK: socket }) });
      expect(r.code, r.stderr).toBe(0);
      // Without an agent, a key or a password there is no way to log in: bad usage, nothing connects.
      const none = await runCli(['plan', '--db', small.url, ...ssh()], { env: env(place) });
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('No way to log in to the SSH server');
    } finally {
      agent.kill('SIGTERM');
    }
    await waitNoSessions(sshd!);
  });

  it.skipIf(!sshd?.password)(
    titled(
      'logs in with a password from MR4_SSH_PASSWORD; a wrong one is refused at the login',
      sshd?.password ? null : sshd?.passwordSkip,
    ),
    async () => {
      const place = knownPlace();
      const args = ['plan', '--db', small.url, ...ssh(), '--ssh-password'];
      const r = await runCli(args, { env: env(place, { MR4_SSH_PASSWORD: sshd!.password! }) });
      expect(r.code, r.stderr).toBe(0);
      const wrong = await runCli([...args, '--json'], { env: env(place, { MR4_SSH_PASSWORD: 'wrong-password' }) });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain(
        `The SSH server ${sshd!.user}@127.0.0.1:${sshd!.port} refused the login as ${sshd!.user}: tried the password`,
      );
      expect(JSON.parse(wrong.stdout).error.code).toBe('MR4_SSH_AUTH');
      const noTerminal = await runCli(args, { env: env(place) });
      expect(noTerminal.code).toBe(2);
      expect(noTerminal.stderr).toContain('set MR4_SSH_PASSWORD, or run mr4 on a terminal');
      await waitNoSessions(sshd!);
    },
  );

  it('Ctrl-C during a tunneled import rolls back, and the tunnel closes', async () => {
    const place = knownPlace();
    const target = await db(SCHEMA + TARGET_DATA);
    const before = await fingerprint(target.client);
    const run = spawnCli(
      ['import', archive, '--db', target.url, '--mode', 'merge', '--no-remember', ...ssh(), '--ssh-key', sshd!.keyFile],
      { env: env(place) },
    );
    await atRandomPointOf(run, /Phase 3\/5/, 500);
    expect(sshd!.sessions()).toBeGreaterThan(0);
    run.child.kill('SIGINT');
    const r = await run.done;
    if (r.code === 0) {
      expect(r.stderr).toMatch(/already finished/);
      return;
    }
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/cancelled and rolled back; the target is unchanged/);
    expect(await fingerprint(target.client)).toBe(before);
    expect(await otherSessions(target)).toBe(0);
    expect(await stagingLeftovers(target)).toEqual([]);
    await waitNoSessions(sshd!);
  });

  it('a tunnel that breaks mid-import is a lost connection: rolled back, said so', async () => {
    const place = knownPlace();
    const target = await db(SCHEMA + TARGET_DATA);
    const before = await fingerprint(target.client);
    const run = spawnCli(
      ['import', archive, '--db', target.url, '--mode', 'merge', '--no-remember', ...ssh(), '--ssh-key', sshd!.keyFile],
      { env: env(place) },
    );
    await atRandomPointOf(run, /Phase 3\/5/, 300);
    sshd!.dropSessions();
    const dropped = Date.now();
    const r = await run.done;
    if (r.code === 0) return;
    expect(Date.now() - dropped).toBeLessThan(10_000);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/The connection to the database was lost/);
    expect(r.stderr).toContain(`the SSH tunnel via ${sshd!.user}@127.0.0.1:${sshd!.port} closed: the SSH server closed the connection`);
    expect(r.stderr).toMatch(/The import was rolled back: the target is unchanged/);
    expect(r.stderr).not.toMatch(/bug in mr4/);
    expect(await otherSessions(target)).toBe(0);
    expect(await fingerprint(target.client)).toBe(before);
  });

  it('SSH options are bad usage without --ssh, or when they cannot be read', async () => {
    const place = freshPlace();
    const cases: [string[], RegExp][] = [
      [['--ssh-key', sshd!.keyFile], /go with --ssh user@host/],
      [['--ssh', 'me@bad host'], /not a host name|give the SSH server as user@host/],
      [['--ssh', 'me@db.example.org:99999'], /SSH port must be 1 to 65535/],
      [['--ssh', 'me@db.example.org', '--ssh-accept-host-key', 'MD5:aa:bb'], /fingerprint as ssh prints it/],
      [['--ssh', 'me@db.example.org', '--ssh-key', join(place.home, 'no-such-key')], /--ssh-key: cannot read/],
    ];
    for (const [extra, message] of cases) {
      const r = await runCli(['plan', '--db', small.url, ...extra], { env: env(place) });
      expect(r.code, `${extra.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});
