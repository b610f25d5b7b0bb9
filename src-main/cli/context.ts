// What every command module receives: where to write, and where to leave its exit code.
import type { Command } from 'commander';
import { JobError } from '../services/job-errors';
import { describeFailure, type JsonFailure, jsonFailure } from './errors';
import type { Io } from './io';
import { type CommonOptions, databaseNamed, EXIT } from './options';
import type { JobOutcome } from './run-job';

export interface CliContext {
  io: Io;
  /** Set by a command's action; main exits with it. */
  exitCode: number;
  /** Why the command failed, for the `error` object --json prints (main prints it). */
  failure?: JsonFailure;
}

/** A command module: adds one command (with its options and action) to the program. */
export type CommandModule = (program: Command, ctx: CliContext) => void;

/** Prints a job's result (as JSON or as text) or its failure (on stderr; with --json, main then prints
 *  the `error` object on stdout), and sets the exit code. */
export function finish<T>(ctx: CliContext, opts: CommonOptions, outcome: JobOutcome<T>, text: (result: T) => string): void {
  const { io } = ctx;
  if (outcome.ok) {
    if (outcome.interrupted) io.err('The job had already finished when it was interrupted; its result stands.\n');
    io.out(opts.json ? `${JSON.stringify(outcome.result)}\n` : text(outcome.result));
    ctx.exitCode = EXIT.ok;
    return;
  }
  const context = { databaseNamed: databaseNamed(opts), internal: !(outcome.error instanceof JobError) || outcome.error.internal === true };
  io.err(describeFailure(outcome.error, context));
  ctx.exitCode = outcome.interrupted ? EXIT.interrupted : EXIT.failure;
  ctx.failure = jsonFailure(outcome.error, { ...context, exitCode: ctx.exitCode, interrupted: outcome.interrupted });
}
