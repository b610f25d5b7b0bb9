// What every command module receives: where to write, and where to leave its exit code.
import type { Command } from 'commander';
import { JobError } from '../services/job-errors';
import { describeFailure } from './errors';
import type { Io } from './io';
import { type CommonOptions, databaseNamed, EXIT } from './options';
import type { JobOutcome } from './run-job';

export interface CliContext {
  io: Io;
  /** Set by a command's action; main exits with it. */
  exitCode: number;
}

/** A command module: adds one command (with its options and action) to the program. */
export type CommandModule = (program: Command, ctx: CliContext) => void;

/** Prints a job's result (as JSON or as text) or its failure, and sets the exit code. */
export function finish<T>(ctx: CliContext, opts: CommonOptions, outcome: JobOutcome<T>, text: (result: T) => string): void {
  const { io } = ctx;
  if (outcome.ok) {
    if (outcome.interrupted) io.err('The job had already finished when it was interrupted; its result stands.\n');
    io.out(opts.json ? `${JSON.stringify(outcome.result)}\n` : text(outcome.result));
    ctx.exitCode = EXIT.ok;
    return;
  }
  io.err(describeFailure(outcome.error, { databaseNamed: databaseNamed(opts), internal: !(outcome.error instanceof JobError) }));
  ctx.exitCode = outcome.interrupted ? EXIT.interrupted : EXIT.failure;
}
