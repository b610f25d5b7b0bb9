// What every command module receives: where to write, and where to leave its exit code.
import type { Command } from 'commander';
import { defaultDataDir } from '../services/data-dir';
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
  io.err(sshHint(outcome.error));
  ctx.exitCode = outcome.interrupted ? EXIT.interrupted : EXIT.failure;
  ctx.failure = jsonFailure(outcome.error, { ...context, exitCode: ctx.exitCode, interrupted: outcome.interrupted });
}

/** After an SSH server's unknown host key was refused: how to accept it, as ssh would have asked. */
export function sshHint(error: unknown): string {
  const e = (error ?? {}) as { name?: string; code?: string; message?: string };
  if (e.name !== 'SshError' || e.code !== 'MR4_SSH_HOST_KEY_UNKNOWN') return '';
  const fingerprint = /SHA256:[A-Za-z0-9+/]{43}/.exec(e.message ?? '')?.[0];
  if (!fingerprint) return '';
  return (
    `If that is the server's key, run the command again with --ssh-accept-host-key ${fingerprint}\n` +
    `(it is then kept in ${defaultDataDir()}/known_hosts), or add the key to ~/.ssh/known_hosts yourself.\n`
  );
}
