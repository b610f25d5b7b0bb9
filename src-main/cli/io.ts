// Where the CLI writes: stdout for results, stderr for progress and errors. Everything passes through
// one scrubber, so a password given on the command line or in the environment is never printed.

export interface Io {
  /** Results (a report, a plan, JSON). */
  out(text: string): void;
  /** Errors, notes and plain progress lines. */
  err(text: string): void;
  /** Raw stderr for the live progress display (text is scrubbed too). */
  readonly stderr: NodeJS.WriteStream;
  readonly scrub: (text: string) => string;
}

// postgres://user:secret@host → postgres://user@host (also postgresql://, and URLs inside other text).
const URL_PASSWORD = /(postgres(?:ql)?:\/\/[^\s:/@]*):[^\s@]*@/gi;

function passwordOf(url: string): string[] {
  const found: string[] = [];
  const m = /^postgres(?:ql)?:\/\/[^\s:/@]*:([^\s@]*)@/i.exec(url.trim());
  if (m && m[1]) {
    found.push(m[1]);
    try {
      found.push(decodeURIComponent(m[1]));
    } catch {
      // Not valid percent-encoding: the raw text is all there is.
    }
  }
  return found;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A scrubber for every password the process could have been given: in URLs among the arguments, in
 *  DATABASE_URL and in PGPASSWORD. Besides URL passwords it removes those exact strings anywhere
 *  (only when they are at least 4 characters long, so that short ones do not shred the text). */
export function makeScrubber(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): (text: string) => string {
  const secrets = new Set<string>();
  for (const a of argv) {
    for (const part of a.split(/[=\s]/)) for (const p of passwordOf(part)) secrets.add(p);
  }
  if (env.DATABASE_URL) for (const p of passwordOf(env.DATABASE_URL)) secrets.add(p);
  if (env.PGPASSWORD) secrets.add(env.PGPASSWORD);
  const literal = [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  const pattern = literal.length ? new RegExp(literal.map(escapeRegExp).join('|'), 'g') : null;
  return (text: string) => {
    let t = text.replace(URL_PASSWORD, '$1@');
    if (pattern) t = t.replace(pattern, '***');
    return t;
  };
}

export function processIo(argv: readonly string[]): Io {
  const scrub = makeScrubber(argv);
  // `mr4 plan | head`: once the reader is gone, stop quietly instead of crashing on EPIPE.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  process.stderr.on('error', () => undefined);
  return {
    out: (text) => void process.stdout.write(scrub(text)),
    err: (text) => void process.stderr.write(scrub(text)),
    stderr: process.stderr,
    scrub,
  };
}
