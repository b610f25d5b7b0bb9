// COPY text that is not what PostgreSQL writes is refused by the table file writer, not guessed at.
import { expect, test } from 'vitest';
import { TableFileWriter } from '../../src-main/engine/archive/table-file';

test('COPY text that is not what PostgreSQL writes is refused, not guessed at', async () => {
  const run = (text: string, columns: string[]) =>
    new Promise<void>((resolve, reject) => {
      const writer = new TableFileWriter('v', columns);
      writer.on('error', reject);
      writer.on('finish', resolve);
      writer.resume();
      writer.end(Buffer.from(text));
    });
  await expect(run('1\t2\n', ['a'])).rejects.toThrow(/more than 1 fields/);
  await expect(run('1\n', ['a', 'b'])).rejects.toThrow(/fewer than 2 fields/);
  await expect(run('a\\qb\n', ['a'])).rejects.toThrow(/unknown escape/);
  await expect(run('1\n2', ['a'])).rejects.toThrow(/ended inside a row/);
});
