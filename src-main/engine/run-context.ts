// What every engine run carries: its connection, cancellation and progress reporting. Cancelling a
// run cancels the statement running on the server (pg_cancel_backend) and lets the caller roll back.
import type pg from 'pg';
import type { EngineEvent } from './report-types';
import type { DbTarget } from '../db/connect';

/** MR4_TRACE_SQL=1 prints every statement of a run with its duration to stderr: its first 160
 *  characters, or all of it with MR4_TRACE_SQL=full. */
const TRACE = !!process.env.MR4_TRACE_SQL;
const TRACE_LENGTH = process.env.MR4_TRACE_SQL === 'full' ? Infinity : 160;

export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor(message = 'The run was cancelled; nothing was changed.') {
    super(message);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export type EmitEvent = (event: EngineEvent) => void;

const LOST_CODES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'EHOSTUNREACH',
]);
const LOST_TEXT =
  /Connection terminated|Client was closed|Client has encountered a connection error|terminating connection|server closed the connection|read ECONNRESET|write EPIPE/i;

/** Whether an error means the connection to the server is gone (closed, reset, the backend ended). */
export function isConnectionLost(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e instanceof ConnectionLostError) return true;
  // Never connected: connect.ts says why in its own words.
  if ((e as { name?: unknown }).name === 'ConnectionError') return false;
  if (typeof e.code === 'string' && LOST_CODES.has(e.code)) return true;
  return typeof e.message === 'string' && LOST_TEXT.test(e.message);
}

/**
 * The connection was lost mid-run. `duringCommit`: COMMIT had been sent and no answer came, so whether
 * it was committed is unknown; otherwise the server rolled the transaction back (it never commits a
 * transaction whose connection ends before COMMIT).
 */
export class ConnectionLostError extends Error {
  override name = 'ConnectionLostError';
  readonly code = 'MR4_CONNECTION_LOST';
  constructor(
    readonly reason: string,
    readonly duringCommit: boolean,
  ) {
    super(
      duringCommit
        ? `The connection to the database was lost while COMMIT was on its way (${reason}): whether the transaction was committed cannot be known from here.`
        : `The connection to the database was lost (${reason}). The server rolled back the open transaction: nothing this run did was kept.`,
    );
  }
}

function reasonOf(error: unknown): string {
  const e = error as { message?: unknown; code?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(error);
  return typeof e?.code === 'string' && !message.includes(e.code) ? `${message}, ${e.code}` : message;
}

/** `error`, or a ConnectionLostError when it says the connection is gone. */
export function connectionLost(error: unknown, duringCommit = false): unknown {
  if (error instanceof ConnectionLostError || !isConnectionLost(error)) return error;
  return new ConnectionLostError(reasonOf(error), duringCommit);
}

export class RunContext {
  private cancelling: Promise<void> | null = null;
  /** Set once the connection has closed or failed. */
  lost = false;
  private lastTableEvent = 0;
  private lastTable = '';

  private constructor(
    readonly db: DbTarget,
    readonly client: pg.Client,
    readonly pid: number,
    readonly signal: AbortSignal | undefined,
    private readonly emitter: EmitEvent,
  ) {
    signal?.addEventListener('abort', () => this.cancelRunningStatement(), { once: true });
  }

  static async open(db: DbTarget, signal: AbortSignal | undefined, emit: EmitEvent | undefined): Promise<RunContext> {
    if (signal?.aborted) throw new CancelledError();
    const client = await db.connect();
    // A dropped connection would otherwise surface as an unhandled 'error' event.
    client.on('error', () => undefined);
    let context: RunContext | null = null;
    client.on('end', () => {
      if (context) context.lost = true;
    });
    const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    context = new RunContext(db, client, pid, signal, emit ?? (() => undefined));
    return context;
  }

  get cancelled(): boolean {
    return !!this.signal?.aborted;
  }

  throwIfCancelled(): void {
    if (this.cancelled) throw new CancelledError();
  }

  private cancelRunningStatement(): void {
    if (this.lost) return;
    this.cancelling = (async () => {
      const other = await this.db.connect().catch(() => null);
      if (!other) return;
      try {
        await other.query('SELECT pg_cancel_backend($1)', [this.pid]);
      } finally {
        await other.end().catch(() => undefined);
      }
    })().catch(() => undefined);
  }

  /** Maps a cancelled statement to CancelledError. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>> {
    this.throwIfCancelled();
    const started = TRACE ? performance.now() : 0;
    try {
      return await this.client.query<R>(sql, params);
    } catch (error) {
      if (this.cancelled) throw new CancelledError();
      throw connectionLost(error, /^\s*COMMIT\s*$/i.test(sql));
    } finally {
      if (TRACE)
        process.stderr.write(`[sql ${(performance.now() - started).toFixed(0)} ms] ${sql.replace(/\s+/g, ' ').slice(0, TRACE_LENGTH)}\n`);
    }
  }

  emit(event: EngineEvent): void {
    this.emitter(event);
  }

  /** Table progress, at most every 100 ms, except a table's first and last word. */
  progress(event: Extract<EngineEvent, { type: 'table' }>): void {
    const now = Date.now();
    const key = `${event.phase}:${event.table}`;
    if (!event.done && key === this.lastTable && now - this.lastTableEvent < 100) return;
    this.lastTableEvent = now;
    this.lastTable = key;
    this.emitter(event);
  }

  phase(index: number, name: string): void {
    this.emitter({ type: 'phase', index, name });
  }

  log(message: string, level: 'info' | 'warn' = 'info'): void {
    this.emitter({ type: 'log', level, message });
  }

  /**
   * Drops the connection at once (the server then ends the transaction). For a run that cannot wait
   * for its statement: a COPY TO whose reader stopped leaves the server blocked writing to us, where
   * it does not hear a cancel, and every later statement would queue behind it forever.
   */
  abandon(): void {
    this.lost = true;
    (this.client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  }

  /** Ends the connection; a connection that does not close within a few seconds is dropped. */
  async close(): Promise<void> {
    await Promise.race([this.cancelling, delay(5_000)]);
    const ended = this.client.end().then(
      () => true,
      () => true,
    );
    if (!(await Promise.race([ended, delay(5_000).then(() => false)]))) this.abandon();
  }
}
