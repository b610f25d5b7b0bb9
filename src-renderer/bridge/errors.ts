// Every failure the renderer shows is a UiError: what happened, what to do next, details to copy.
import type { UiError } from '../../src-common/contract';
import { rowProblemText } from '../../src-common/row-problem';

/** A call that the API answered with an error (or that never reached it). */
export class ApiError extends Error {
  readonly ui: UiError;
  /** HTTP status in browser mode (409: one job per target is already running), if known. */
  readonly status?: number;
  constructor(ui: UiError, status?: number) {
    super(ui.message);
    this.name = 'ApiError';
    this.ui = ui;
    this.status = status;
  }
}

export function isUiError(value: unknown): value is UiError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as UiError).title === 'string' &&
    typeof (value as UiError).message === 'string'
  );
}

/** Whatever was thrown, as a UiError. */
export function toUiError(error: unknown, fallbackTitle = 'Something went wrong'): UiError {
  if (error instanceof ApiError) return error.ui;
  if (isUiError(error)) return { ...error, details: error.details ?? '' };
  if (error instanceof Error) {
    // Electron's IPC keeps only the message of a rejected error; the preload may put a UiError there.
    const parsed = tryParseUiError(error.message);
    if (parsed) return parsed;
    if (error.name === 'TypeError' && /fetch|network/i.test(error.message)) {
      return {
        title: 'The app is not reachable',
        message: 'The request did not reach MR4 Studio.',
        hint: 'Check that “mr4 serve” is still running, then reload this page.',
        code: 'MR4_NETWORK',
        details: `${error.name}: ${error.message}`,
      };
    }
    return { title: fallbackTitle, message: error.message, details: `${error.name}: ${error.message}` };
  }
  return { title: fallbackTitle, message: String(error), details: String(error) };
}

function tryParseUiError(text: string): UiError | null {
  const start = text.indexOf('{');
  if (start < 0) return null;
  try {
    const value: unknown = JSON.parse(text.slice(start));
    if (isUiError(value)) return value;
    if (typeof value === 'object' && value && isUiError((value as { error?: unknown }).error)) return (value as { error: UiError }).error;
  } catch {
    /* not JSON */
  }
  return null;
}

/** The text "Copy details" puts on the clipboard. */
export function errorDetailsText(error: UiError): string {
  const lines = [error.title, error.message];
  if (error.hint) lines.push(`Hint: ${error.hint}`);
  if (error.code) lines.push(`Code: ${error.code}`);
  if (error.problems?.length) lines.push('Problems:', ...error.problems.map((p) => `- ${p}`));
  if (error.rows?.length) {
    lines.push('Rows:', ...error.rows.slice(0, 200).map((r) => `- ${rowProblemText(r)}`));
  }
  if (error.details) lines.push('', error.details);
  return lines.join('\n');
}
