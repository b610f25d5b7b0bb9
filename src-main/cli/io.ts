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
// The password is whatever stands between the user's ":" and the last "@" before the host.
const URL_PASSWORD = /(postgres(?:ql)?:\/\/[^\s:/@]*):[^\s@/]*(?:@[^\s@/]*)*@/gi;

function passwordOf(url: string): string[] {
  const found: string[] = [];
  const m = /^postgres(?:ql)?:\/\/[^\s:/@]*:([^\s@/]*(?:@[^\s@/]*)*)@/i.exec(url.trim());
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

/**
 * A scrubber for the passwords the process could have been given (in URLs among the arguments, in
 * DATABASE_URL, in PGPASSWORD). It removes the password *field* of a connection — the password of any
 * postgres:// URL, and `password=…` / `PGPASSWORD=…` when the value is one of those passwords — and
 * leaves every other occurrence of the same text alone, so a database, user or table whose name contains
 * the password's text is printed as it is.
 */
export function makeScrubber(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): (text: string) => string {
  const secrets = new Set<string>();
  for (const a of argv) {
    for (const part of a.split(/[=\s]/)) for (const p of passwordOf(part)) secrets.add(p);
  }
  if (env.DATABASE_URL) for (const p of passwordOf(env.DATABASE_URL)) secrets.add(p);
  if (env.PGPASSWORD) secrets.add(env.PGPASSWORD);
  const known = [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  const field = known.length
    ? new RegExp(`\\b((?:password|passwd|PGPASSWORD)\\s*=\\s*)(['"]?)(?:${known.map(escapeRegExp).join('|')})\\2(?=$|[\\s&;,'"])`, 'gi')
    : null;
  return (text: string) => {
    let t = text.replace(URL_PASSWORD, '$1@');
    if (field) t = t.replace(field, '$1$2***$2');
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
