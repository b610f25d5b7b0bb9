// `npm start` (scripts/start.mjs) stops everything it started — here the browser-mode server (the
// fallback without a display) and the demo PostgreSQL it runs — when npm is sent SIGTERM, and when its
// process group gets SIGINT (Ctrl-C) or SIGHUP (the terminal closed). Every process below npm is
// recorded while it runs, and each must be gone afterwards.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { cleanEnv, ensureBuilt, ROOT } from './helpers/cli';
import { titled } from './helpers/skip';

const linux = process.platform === 'linux' && existsSync('/proc/self/stat');

/** pid → [parent pid, state] of every process, from /proc. */
function processTable(): Map<number, [number, string]> {
  const table = new Map<number, [number, string]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(name), [Number(rest[1]), rest[0]]);
    } catch {
      // Gone meanwhile.
    }
  }
  return table;
}

function descendants(root: number): number[] {
  const table = processTable();
  const found = new Set<number>([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, [ppid]] of table) {
      if (found.has(ppid) && !found.has(pid)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  return [...found];
}

/** Still running (a zombie waiting to be reaped has ended). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '?';
  }
}

interface Started {
  npm: ChildProcess;
  output: () => string;
  dataDir: string;
}

async function npmStart(): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mr4-npm-start-'));
  const env = cleanEnv({ MR4_DATA_DIR: dataDir, DISPLAY: undefined, WAYLAND_DISPLAY: undefined, BROWSER: 'true' });
  // A process group of its own, like a terminal's foreground job, so that it can be signalled as one.
  const npm = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  npm.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  npm.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  const until = Date.now() + 240_000;
  while (!/Demo databases ready/.test(output)) {
    if (Date.now() > until || npm.exitCode !== null) throw new Error(`npm start did not get the demo running:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { npm, output: () => output, dataDir };
}

beforeAll(() => {
  if (linux) ensureBuilt();
});

if (!linux) console.warn(`start-script: skipped: it reads the process tree from /proc, which ${process.platform} has not`);
describe.skipIf(!linux)(
  titled('npm start stops everything it started', linux ? null : `it reads the process tree from /proc, which ${process.platform} has not`),
  () => {
    const cases: [string, (s: Started) => void, RegExp][] = [
      ['SIGTERM to npm', (s) => process.kill(s.npm.pid!, 'SIGTERM'), /Asked to stop/],
      ['SIGINT to its process group (Ctrl-C)', (s) => process.kill(-s.npm.pid!, 'SIGINT'), /Interrupted/],
      ['SIGHUP to its process group (the terminal closed)', (s) => process.kill(-s.npm.pid!, 'SIGHUP'), /Asked to stop/],
    ];

    for (const [name, stop, said] of cases) {
      test(
        name,
        async () => {
          const started = await npmStart();
          let pids: number[] = [];
          try {
            pids = descendants(started.npm.pid!);
            const commands = pids.map(commandOf);
            expect(
              commands.some((c) => /cli\.js serve/.test(c)),
              commands.join('\n'),
            ).toBe(true);
            expect(
              commands.some((c) => /bin\/postgres\b/.test(c)),
              commands.join('\n'),
            ).toBe(true);

            stop(started);
            const until = Date.now() + 60_000;
            while (pids.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
            const left = pids.filter(alive).map((p) => `${p} ${commandOf(p)}`);
            expect(left, started.output()).toEqual([]);
            // The server shut down cleanly (jobs cancelled, demo server stopped), not killed.
            expect(started.output()).toMatch(said);
            expect(started.output()).toContain('Stopped.');
          } finally {
            for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
            rmSync(started.dataDir, { recursive: true, force: true });
          }
        },
        360_000,
      );
    }
  },
);
