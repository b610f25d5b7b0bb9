// The `mr4` command line: plan, export and import from a terminal or a script. Each command lives in
// its own module under commands/; adding one is that module plus one line in COMMANDS.
//
// Exit codes: 0 success, 1 failure (reason on stderr), 2 bad usage (nothing was touched), 130 interrupted.
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { TOOL_VERSION } from '../engine/version';
import { diffCommand } from './commands/diff';
import { exportCommand } from './commands/export';
import { forgetLineageCommand } from './commands/forget-lineage';
import { importCommand } from './commands/import';
import { planCommand } from './commands/plan';
import { serveCommand } from './commands/serve';
import { undoCommand } from './commands/undo';
import type { CliContext, CommandModule } from './context';
import { type JsonFailure, jsonFailureFromText } from './errors';
import { type Io, processIo } from './io';
import { EXIT, UsageError } from './options';

const COMMANDS: CommandModule[] = [planCommand, exportCommand, importCommand, diffCommand, undoCommand, forgetLineageCommand, serveCommand];

const FOOTER = `
Connections:
  --db postgres://user@host:5432/dbname, else DATABASE_URL, else PGHOST, PGPORT, PGDATABASE, PGUSER
  (as psql reads them). Passwords come from the URL, PGPASSWORD or ~/.pgpass. sslmode works as in
  libpq: require encrypts without checking the certificate, verify-full checks it.

Exit codes: 0 success, 1 failure, 2 bad usage, 130 interrupted (Ctrl-C; the run is rolled back).
Run "mr4 <command> --help" for a command's options.`;

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('mr4')
    .description('Move application data between PostgreSQL databases by natural keys: plan, export, import.')
    .version(TOOL_VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.out(s),
      writeErr: (s) => ctx.io.err(s),
      outputError: (s, write) => write(s),
    })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', FOOTER);
  for (const add of COMMANDS) add(program, ctx);
  return program;
}

/** Whether the command line asks for JSON: --json before any "--". */
export function wantsJson(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--json') return true;
  }
  return false;
}

/** The Io, noting whether anything reached stdout and keeping the end of what went to stderr. */
function recording(io: Io): { io: Io; wroteOut: () => boolean; errText: () => string } {
  let wroteOut = false;
  let errText = '';
  return {
    io: {
      out: (text) => {
        if (text) wroteOut = true;
        io.out(text);
      },
      err: (text) => {
        errText = (errText + text).slice(-64 * 1024);
        io.err(text);
      },
      stderr: io.stderr,
      scrub: io.scrub,
    },
    wroteOut: () => wroteOut,
    errText: () => errText,
  };
}

async function runProgram(ctx: CliContext, argv: readonly string[]): Promise<number> {
  const { io } = ctx;
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT.ok;
      ctx.failure = { message: error.message.replace(/^error: /, ''), code: 'MR4_USAGE', name: 'UsageError', exitCode: EXIT.usage };
      return EXIT.usage;
    }
    if (error instanceof UsageError) {
      io.err(`Error: ${error.message}\n(add --help for usage)\n`);
      const [message, ...hint] = error.message.split('\n');
      ctx.failure = {
        message,
        code: 'MR4_USAGE',
        name: 'UsageError',
        exitCode: EXIT.usage,
        ...(hint.length ? { hint: hint.join('\n') } : {}),
      };
      return EXIT.usage;
    }
    io.err(`Error: ${(error as Error)?.stack ?? String(error)}\nThis is a bug in mr4; please report it with the command you ran.\n`);
    ctx.failure = {
      message: (error as Error)?.message ?? String(error),
      code: 'MR4_INTERNAL',
      exitCode: EXIT.failure,
      hint: 'This is a bug in mr4; please report it with the command you ran.',
    };
    return EXIT.failure;
  }
  return ctx.exitCode;
}

/**
 * Runs the command line and returns the exit code (it does not exit). With --json, stdout carries
 * exactly one JSON object whatever happens: the result, or `{ "error": { "message", "code"?, … } }`
 * (what stderr says too) when the command fails — bad usage included.
 */
export async function main(argv: readonly string[] = process.argv, io: Io = processIo(argv.slice(2))): Promise<number> {
  const recorded = recording(io);
  const ctx: CliContext = { io: recorded.io, exitCode: EXIT.ok };
  const code = await runProgram(ctx, argv);
  if (wantsJson(argv.slice(2)) && code !== EXIT.ok && !recorded.wroteOut()) {
    const failure: JsonFailure = ctx.failure ? { ...ctx.failure, exitCode: code } : jsonFailureFromText(recorded.errText(), code);
    io.out(`${JSON.stringify({ error: failure })}\n`);
  }
  return code;
}

/** The process entry (bin/mr4.js): run, then exit with the code once output is flushed. */
export async function run(argv: readonly string[] = process.argv): Promise<void> {
  const code = await main(argv);
  process.exitCode = code;
  // On Linux, where writes to a pipe, file or terminal are synchronous, everything is out: exit now.
  // Left to end by itself, node stops its signal handlers while it tears down, and a Ctrl-C or SIGHUP
  // arriving in that moment (a job that just ended) would kill the process by the signal instead.
  if (process.platform === 'linux') process.exit(code);
  // Elsewhere a pipe may still be draining. Everything the run started has ended; if a stray handle
  // still holds the loop, do not hang on it.
  setTimeout(() => process.exit(code), 2000).unref();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void run();
