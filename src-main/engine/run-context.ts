// What every engine run carries: its connection, cancellation and progress reporting. Cancelling a
// run cancels the statement running on the server (pg_cancel_backend) and lets the caller roll back.
import type pg from 'pg';
import type { EngineEvent } from '../../src-common/contract';
import type { DbTarget } from '../db/connect';

/** MR4_TRACE_SQL=1 prints every statement of a run with its duration to stderr. */
const TRACE = !!process.env.MR4_TRACE_SQL;

export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor(message = 'The run was cancelled; nothing was changed.') {
    super(message);
  }
}

export type EmitEvent = (event: EngineEvent) => void;

export class RunContext {
  private cancelling: Promise<void> | null = null;
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
    const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    return new RunContext(db, client, pid, signal, emit ?? (() => undefined));
  }

  get cancelled(): boolean {
    return !!this.signal?.aborted;
  }

  throwIfCancelled(): void {
    if (this.cancelled) throw new CancelledError();
  }

  private cancelRunningStatement(): void {
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
      throw error;
    } finally {
      if (TRACE) process.stderr.write(`[sql ${(performance.now() - started).toFixed(0)} ms] ${sql.replace(/\s+/g, ' ').slice(0, 160)}\n`);
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

  async close(): Promise<void> {
    await this.cancelling;
    await this.client.end().catch(() => undefined);
  }
}
