// `mr4 import` interrupted (Ctrl-C once and twice, with and without --json) and on a terminal (the live
// status line).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { LiveProgress } from '../../src-main/cli/progress';
import { IMPORT_PHASES } from '../../src-main/engine/report-types';
import { cleanEnv, ROOT, spawnCli } from '../helpers/cli';
import { createTestDb, type TestDb } from '../helpers/db';
import { titled } from '../helpers/skip';
import { cliWorkFolder, count, exportOf, fillSource, LIBRARY, parseOneJson } from './helpers';

const work = cliWorkFolder();

/** Sessions on the test database besides the test's own, after giving closing ones a moment to go. */
async function otherSessions(db: TestDb): Promise<number> {
  let n = 0;
  for (let i = 0; i < 20; i++) {
    n = (
      await db.client.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      )
    ).rows[0].n;
    if (n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return n;
}

describe('interrupts and the terminal', () => {
  const BIG = 'CREATE TABLE big (id serial PRIMARY KEY, code text NOT NULL UNIQUE, payload text);';
  const BIG_FILLED = `${BIG}\nINSERT INTO big (code, payload) SELECT 'c' || g, repeat('x', 40) || g FROM generate_series(1, 300000) g;`;

  test('Ctrl-C during a long import cancels it (exit 130) and leaves the target unchanged', async () => {
    const src = await createTestDb(BIG_FILLED);
    const tgt = await createTestDb(BIG);
    try {
      await tgt.client.query(`INSERT INTO big (code, payload) SELECT 'other' || g, 'other' FROM generate_series(1, 10) g`);
      const archive = await exportOf(work, src, 'big');

      const run = spawnCli(['import', archive, '--mode', 'skip', '--db', tgt.url]);
      await run.waitForStderr(/Phase 3\/5: Match and write/);
      run.child.kill('SIGINT');
      const r = await run.done;
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toContain('Cancelling… (rolling back)');
      expect(r.stderr).toMatch(/cancelled and rolled back/);
      expect(r.stdout).toBe('');
      expect(await count(tgt, 'big')).toBe(10);
      // The run's session is gone: nothing is left holding locks or an open transaction.
      expect(await otherSessions(tgt)).toBe(0);

      // A second Ctrl-C does not wait: the process exits at once and the server rolls back.
      const hurry = spawnCli(['import', archive, '--mode', 'skip', '--db', tgt.url]);
      await hurry.waitForStderr(/Phase 3\/5: Match and write/);
      hurry.child.kill('SIGINT');
      await hurry.waitForStderr(/Cancelling/);
      hurry.child.kill('SIGINT');
      const h = await hurry.done;
      expect(h.code).toBe(130);
      expect(h.stderr).toContain('Stopped without waiting');
      expect(await count(tgt, 'big')).toBe(10);
    } finally {
      await src.drop();
      await tgt.drop();
    }
  });

  test('with --json, Ctrl-C (once: cancelled and rolled back; twice: stopped at once) still prints one error object', async () => {
    const src = await createTestDb(BIG_FILLED);
    const tgt = await createTestDb(BIG);
    try {
      const archive = await exportOf(work, src, 'big-json');
      const running = async (): Promise<ReturnType<typeof spawnCli>> => {
        const run = spawnCli(['import', archive, '--mode', 'skip', '--db', tgt.url, '--json']);
        // No progress display with --json: wait until the import locks the table it writes (phase 3).
        for (let i = 0; i < 1200; i++) {
          const n = (
            await tgt.client.query(
              `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'big' AND l.pid <> pg_backend_pid()`,
            )
          ).rows[0].n;
          if (n > 0) break;
          await new Promise((r) => setTimeout(r, 25));
        }
        return run;
      };
      const once = await running();
      once.child.kill('SIGINT');
      const r = await once.done;
      expect(r.code, r.stderr).toBe(130);
      expect(parseOneJson(r.stdout)).toMatchObject({ error: { exitCode: 130, interrupted: true, message: expect.any(String) } });
      expect(r.stdout.trim().split('\n')).toHaveLength(1);

      const twice = await running();
      twice.child.kill('SIGINT');
      await twice.waitForStderr(/Cancelling/);
      twice.child.kill('SIGINT');
      const t = await twice.done;
      expect(t.code).toBe(130);
      expect(parseOneJson(t.stdout)).toMatchObject({ error: { code: 'MR4_INTERRUPTED', exitCode: 130, interrupted: true } });
      expect(await count(tgt, 'big')).toBe(0);
    } finally {
      await src.drop();
      await tgt.drop();
    }
  });

  test('the live status line fits the terminal: the bar shrinks, then goes, before anything is cut', () => {
    const written: string[] = [];
    const live = new LiveProgress({ write: (t: string) => written.push(t), columns: 200 }, IMPORT_PHASES, (t) => t);
    try {
      live.event({ type: 'phase', index: 1, name: 'Stage rows' });
      live.event({ type: 'table', table: 'big', phase: 1, rowsDone: 150_000, rowsTotal: 300_000 });
      const later = Date.now() + 2000;
      const wide = live.render(199, later);
      expect(wide).toMatch(/^Phase 2\/5: Stage rows \| big 150,000\/300,000 rows \[#{10}-{10}\] 50% \| [\d,]+ rows\/s \| 0:02$/);
      expect(live.render(70, later)).toMatch(/^Phase 2\/5: Stage rows \| big 150,000\/300,000 50% \| [\d,]+ rows\/s \| 0:02$/);
      for (const width of [199, 90, 79, 60, 40, 20]) expect(live.render(width, later).length).toBeLessThanOrEqual(width);
      expect(written[0]).toBe('\r\x1b[2KPhase 2/5: Stage rows | 0:00');
    } finally {
      live.stop();
    }
    expect(written[written.length - 1]).toBe('\r\x1b[2K');
  });

  const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
  if (!hasScript)
    console.warn(
      'cli: the terminal progress test is skipped: script(1) (Debian bsdutils) is not installed, so no terminal can be made for mr4',
    );

  test.skipIf(!hasScript)(
    titled(
      'on a terminal, progress is one line redrawn in place and cleared before the report',
      hasScript ? null : 'script(1), from Debian bsdutils, is not installed: no terminal can be made for mr4',
    ),
    async () => {
      const src = await createTestDb(LIBRARY);
      const tgt = await createTestDb(LIBRARY);
      try {
        await fillSource(src);
        const archive = await exportOf(work, src, 'tty');
        const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
        const command = [process.execPath, join(ROOT, 'bin', 'mr4.js'), 'import', archive, '--mode', 'skip', '--db', tgt.url]
          .map(quote)
          .join(' ');
        // `script` runs the command on a pseudo-terminal, so stderr is a TTY as in an interactive shell.
        const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env: cleanEnv(), cwd: ROOT });
        expect(r.status, r.stdout).toBe(0);
        expect(r.stdout).toContain('\r\x1b[2KPhase 1/5: Check archive');
        // The last redraw is cleared right before the report starts.
        expect(r.stdout).toMatch(/\r\x1b\[2KImported /);
        expect(r.stdout).not.toMatch(/\n {2}authors: \d+ rows \(/);
        expect(await count(tgt, 'authors')).toBe(3);
      } finally {
        await src.drop();
        await tgt.drop();
      }
    },
  );
});
