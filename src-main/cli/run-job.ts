// Runs one engine job in its worker thread with the progress display, and turns Ctrl-C into a cancel:
// the first one asks the job to stop and roll back and waits for it, a second one exits at once (the
// server then rolls back when the connection drops).
import type { EngineJob } from '../services/engine-jobs';
import { startEngineJob } from '../services/jobs';
import type { Io } from './io';
import { EXIT } from './options';
import { createProgress, progressMode } from './progress';

export type JobOutcome<T> = { ok: true; result: T; interrupted: boolean } | { ok: false; error: unknown; interrupted: boolean };

export async function runJob<T>(io: Io, job: EngineJob, options: { json?: boolean; phases: readonly string[] }): Promise<JobOutcome<T>> {
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
      io.err('Stopped without waiting. The server rolls back the open transaction when the connection closes.\n');
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
