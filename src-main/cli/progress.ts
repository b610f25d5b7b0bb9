// The terminal progress display for engine events. On a TTY: one status line on stderr, redrawn in
// place at most ten times a second and cleared before the result is printed. Elsewhere (a pipe, a log
// file, CI): one plain line per phase and per finished table, without escape codes.
import type { EngineEvent } from '../../src-common/contract';
import { bytes, duration, num } from './format';

export interface Progress {
  event(event: EngineEvent): void;
  /** A line printed above the live display (or as a plain line). */
  note(text: string): void;
  /** Stops redrawing and clears the live line. */
  stop(): void;
}

export type ProgressMode = 'tty' | 'plain' | 'none';

export function progressMode(stream: NodeJS.WriteStream, json: boolean | undefined): ProgressMode {
  if (json) return 'none';
  return stream.isTTY ? 'tty' : 'plain';
}

interface Writer {
  write(text: string): unknown;
  columns?: number;
}

export function createProgress(
  mode: ProgressMode,
  stream: Writer,
  phases: readonly string[],
  scrub: (t: string) => string = (t) => t,
): Progress {
  if (mode === 'tty') return new LiveProgress(stream, phases, scrub);
  if (mode === 'plain') return new PlainProgress(stream, phases, scrub);
  // No display (--json), but notes such as "Cancelling…" still reach stderr.
  return { event: () => undefined, note: (text) => void stream.write(scrub(text) + '\n'), stop: () => undefined };
}

function phaseLabel(phases: readonly string[], index: number, name: string): string {
  return `Phase ${index + 1}/${phases.length}: ${name}`;
}

class PlainProgress implements Progress {
  /** When the current table began: the phase start or the previous table's end (tables run one by one). */
  private mark = Date.now();
  constructor(
    private readonly stream: Writer,
    private readonly phases: readonly string[],
    private readonly scrub: (t: string) => string,
  ) {}

  event(e: EngineEvent): void {
    if (e.type === 'phase') {
      this.mark = Date.now();
      this.line(phaseLabel(this.phases, e.index, e.name));
    } else if (e.type === 'table' && e.done) {
      const now = Date.now();
      const size = e.bytes !== undefined ? `, ${bytes(e.bytes)}` : '';
      this.line(`  ${e.table}: ${num(e.rowsDone)} ${e.rowsDone === 1 ? 'row' : 'rows'}${size} (${duration(now - this.mark)})`);
      this.mark = now;
    }
  }

  note(text: string): void {
    this.line(text);
  }

  stop(): void {}

  private line(text: string): void {
    this.stream.write(this.scrub(text) + '\n');
  }
}

const CLEAR = '\r\x1b[2K';

export class LiveProgress implements Progress {
  private readonly started = Date.now();
  private phase = '';
  private table: string | null = null;
  private tableKey = '';
  private tableStarted = 0;
  private rowsDone = 0;
  private rowsTotal: number | null = null;
  /** Tables seen in the run so far, and those finished in the current phase ("3/8 tables done" while the
   *  engine is between tables or its first word on a table was throttled away). */
  private readonly known = new Set<string>();
  private doneInPhase = 0;
  private timer: NodeJS.Timeout | null = null;
  private drawn = false;
  private stopped = false;

  constructor(
    private readonly stream: Writer,
    private readonly phases: readonly string[],
    private readonly scrub: (t: string) => string,
  ) {}

  event(e: EngineEvent): void {
    if (this.stopped) return;
    if (e.type === 'phase') {
      this.phase = phaseLabel(this.phases, e.index, e.name);
      this.table = null;
      this.tableKey = '';
      this.doneInPhase = 0;
    } else if (e.type === 'table') {
      this.known.add(e.table);
      const key = `${e.phase}:${e.table}`;
      if (key !== this.tableKey) {
        this.tableKey = key;
        this.tableStarted = Date.now();
      }
      if (e.done) {
        this.doneInPhase++;
        this.table = null;
      } else {
        this.table = e.table;
        this.rowsDone = e.rowsDone;
        this.rowsTotal = e.rowsTotal;
      }
    } else {
      return;
    }
    if (!this.timer) {
      this.draw();
      this.timer = setInterval(() => this.draw(), 100);
      this.timer.unref();
    }
  }

  note(text: string): void {
    if (this.stopped) {
      this.stream.write(this.scrub(text) + '\n');
      return;
    }
    this.stream.write(`${this.drawn ? CLEAR : ''}${this.scrub(text)}\n`);
    this.drawn = false;
    if (this.timer) this.draw();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.drawn) this.stream.write(CLEAR);
    this.drawn = false;
  }

  /** The status line, at most `width` characters: on a narrow terminal the bar shrinks, then goes. */
  render(width = 79, now = Date.now()): string {
    const head = this.phase || 'Starting';
    const tail = clock(now - this.started);
    const variants: string[] = [];
    if (this.table) {
      const secs = (now - this.tableStarted) / 1000;
      const rate = secs >= 0.5 && this.rowsDone > 0 ? `${num(Math.round(this.rowsDone / secs))} rows/s` : null;
      const total = this.rowsTotal !== null && this.rowsTotal > 0 ? this.rowsTotal : null;
      for (const [barWidth, word] of [
        [20, ' rows'],
        [10, ''],
        [0, ''],
      ] as const) {
        let rows = `${this.table} ${num(this.rowsDone)}`;
        if (total !== null) {
          const f = Math.min(1, this.rowsDone / total);
          rows += `/${num(total)}${word}`;
          if (barWidth) rows += ` [${'#'.repeat(Math.round(f * barWidth))}${'-'.repeat(barWidth - Math.round(f * barWidth))}]`;
          rows += ` ${Math.floor(f * 100)}%`;
        } else {
          rows += ' rows';
        }
        variants.push([head, rows, ...(rate ? [rate] : []), tail].join(' | '));
      }
    } else if (this.doneInPhase > 0) {
      variants.push([head, `${num(this.doneInPhase)}/${num(Math.max(this.known.size, this.doneInPhase))} tables done`, tail].join(' | '));
    } else {
      variants.push(`${head} | ${tail}`);
    }
    const line = variants.find((v) => v.length <= width) ?? variants[variants.length - 1];
    return line.length > width ? `${line.slice(0, width - 1)}…` : line;
  }

  private draw(): void {
    if (this.stopped) return;
    const width = Math.max(20, (this.stream.columns || 80) - 1);
    this.stream.write(CLEAR + this.scrub(this.render(width)));
    this.drawn = true;
  }
}

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
