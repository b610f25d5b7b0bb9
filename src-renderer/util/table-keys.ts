// How a table's rows are compared, in words: the comparison key chosen in the app for a target
// connection (columns, or the whole content).
import type { TableKey } from '../../src-common/contract';

export function describeTableKey(key: TableKey): string {
  return key === 'content' ? 'whole content' : key.join(', ');
}
