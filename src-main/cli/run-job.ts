// Runs one engine job (on this thread: the process is the job's) with the progress display, and turns Ctrl-C (SIGINT),
// SIGTERM and SIGHUP into a cancel: the first one asks the job to stop, roll back and clean up, and
// waits for it to say so; a second one exits at once (the server then rolls back when the connection
// drops). A job that has not ended CANCEL_GRACE_MS after the cancel is stopped the same way.
import { ConnectionError, resolveConnection, SETTINGS_PREFIX } from '../db/connect';
import type { DbSpec, EngineJob } from '../services/engine-jobs';
import { runEngineJobHere } from '../services/jobs';
import type { Io } from './io';
import { EXIT, UsageError } from './options';
import { createProgress, progressMode } from './progress';

/** How long a cancelled job may take to roll back and clean up before it is stopped outright. */
export const CANCEL_GRACE_MS = 15_000;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** A signal after a job ended, while its result is printed: nothing is left to cancel, so the result
 *  is printed and the process ends as it would (a default handler would kill it half-way); a job the
 *  command would start next does not run. */
let signalledAfterJob = false;
const afterJob = () => {
  signalledAfterJob = true;
};

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
  if (signalledAfterJob) {
    io.err('Interrupted: the next step was not started.\n');
    process.exit(EXIT.interrupted);
  }
  const progress = createProgress(progressMode(io.stderr, options.json), io.stderr, options.phases, io.scrub);
  const running = runEngineJobHere<T>(job, (event) => progress.event(event));
  let interrupts = 0;
  let grace: NodeJS.Timeout | null = null;
  const quit = (message: string) => {
    progress.stop();
    io.err(`${message}\n`);
    // --json: the one object on stdout, even now (stdout to a pipe or file is written synchronously).
    if (options.json)
      io.out(`${JSON.stringify({ error: { message, code: 'MR4_INTERRUPTED', exitCode: EXIT.interrupted, interrupted: true } })}\n`);
    process.exit(EXIT.interrupted);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      progress.note(`Cancelling… (rolling back)${signal === 'SIGINT' ? '' : `: ${signal} received`}`);
      progress.note(signal === 'SIGINT' ? 'Press Ctrl-C again to quit without waiting.' : `Send ${signal} again to quit without waiting.`);
      running.cancel();
      grace = setTimeout(() => {
        if (running.terminate) void running.terminate();
        else
          quit(
            `The run did not stop within ${CANCEL_GRACE_MS / 1000} s of the cancel. The server rolls back the open transaction when the connection closes.`,
          );
      }, CANCEL_GRACE_MS);
    } else {
      quit('Stopped without waiting. The server rolls back the open transaction when the connection closes.');
    }
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  try {
    const result = await running.result;
    return { ok: true, result, interrupted: interrupts > 0 };
  } catch (error) {
    return { ok: false, error, interrupted: interrupts > 0 };
  } finally {
    if (grace) clearTimeout(grace);
    for (const s of SIGNALS) {
      process.off(s, onSignal);
      if (!process.listeners(s).includes(afterJob)) process.on(s, afterJob);
    }
    progress.stop();
  }
}
