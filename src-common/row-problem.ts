// A row the engine refused or lists, as one line of text, said once: the CLI, the engine's error
// messages, the app's error details and its "Copy details" all write it this way.
import type { RowProblem } from './contract';

/** `people {"email":"a@example.org"} (row 3) column name: the reason` — the table, the row's natural
 *  key, its position in the archive's table file and the column, where known. */
export function rowProblemText(p: RowProblem): string {
  const key = p.key ? ` ${JSON.stringify(p.key)}` : '';
  const row = p.row !== null && p.row !== undefined ? ` (row ${p.row})` : '';
  const column = p.column ? ` column ${p.column}` : '';
  return `${p.table}${key}${row}${column}: ${p.reason}`;
}
