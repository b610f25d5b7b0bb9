// Runs one engine job in its worker thread with the progress display, and turns Ctrl-C into a cancel:
// the first one asks the job to stop and roll back and waits for it, a second one exits at once (the
// server then rolls back when the connection drops).
import { ConnectionError, resolveConnection, SETTINGS_PREFIX } from '../db/connect';
import type { DbSpec, EngineJob } from '../services/engine-jobs';
import { startEngineJob } from '../services/jobs';
import type { Io } from './io';
import { EXIT, UsageError } from './options';
import { createProgress, progressMode } from './progress';

export type JobOutcome<T> = { ok: true; result: T; interrupted: boolean } | { ok: false; error: unknown; interrupted: boolean };

const URL_HINT = 'Give the database as --db postgres://user@host:5432/dbname (or DATABASE_URL, or the PG* variables).';

/**
 * A connection that cannot even be read — not a URL, another scheme, an unknown parameter, a bad sslmode
 * (in --db, DATABASE_URL or PGSSLMODE) — is bad usage (exit 2), found before anything is touched.
 */
export function checkConnectionSpec(db: DbSpec | undefined): void {
  if (!db) return;
  const env = db.env ? { ...process.env, ...db.env } : process.env;
  const given = db.url ?? env.DATABASE_URL;
  if (given?.startsWith(SETTINGS_PREFIX)) throw new UsageError(`The connection is not a postgres:// URL. ${URL_HINT}`);
  try {
    resolveConnection(db.url, { allowFileParams: db.allowFileParams, env });
  } catch (error) {
    if (!(error instanceof ConnectionError)) throw error;
    const where = db.url !== undefined ? '--db' : env.DATABASE_URL ? 'DATABASE_URL' : 'The PG* variables';
    throw new UsageError(`${where}: ${error.message}\n${URL_HINT}`);
  }
}

/** Runs the job; a connection that cannot be read throws UsageError first (exit 2, nothing touched). */
export async function runJob<T>(io: Io, job: EngineJob, options: { json?: boolean; phases: readonly string[] }): Promise<JobOutcome<T>> {
  if ('db' in job) checkConnectionSpec(job.db);
  const progress = createProgress(progressMode(io.stderr, options.json), io.stderr, options.phases, io.scrub);
  const running = startEngineJob<T>(job, (event) => progress.event(event));
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      progress.note('Cancelling… (rolling back)');
      progress.note('Press Ctrl-C again to quit without waiting.');
      running.cancel();
    } else {
      progress.stop();
      const message = 'Stopped without waiting. The server rolls back the open transaction when the connection closes.';
      io.err(`${message}\n`);
      // --json: the one object on stdout, even now (stdout to a pipe or file is written synchronously).
      if (options.json) io.out(`${JSON.stringify({ error: { message, code: 'MR4_INTERRUPTED', exitCode: EXIT.interrupted, interrupted: true } })}\n`);
      process.exit(EXIT.interrupted);
    }
  };
  process.on('SIGINT', onSigint);
  try {
    const result = await running.result;
    return { ok: true, result, interrupted: interrupts > 0 };
  } catch (error) {
    return { ok: false, error, interrupted: interrupts > 0 };
  } finally {
    process.off('SIGINT', onSigint);
    progress.stop();
  }
}
