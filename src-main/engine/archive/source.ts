// Where a run reads table files from: an archive on disk (format 2), or an adapter that produces
// canonical table files from another format (legacy.ts).
import type { Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Unlocker } from './crypto';
import { INDEX_FILE } from './format';
import { type ArchiveLimits, walkArchive } from './reader';

export interface TableSource {
  /** Streams every table file of the archive, in archive order, to `visit`. */
  walk(visit: (file: string, body: Readable) => Promise<void>, signal?: AbortSignal): Promise<void>;
}

/** An archive file. With `hash`, its first walk also hashes the whole file (what identifies it). An
 *  encrypted archive is opened with `unlocker`. */
export function fileSource(path: string, limits?: ArchiveLimits, hash?: Hash, unlocker?: Unlocker): TableSource {
  let unhashed = hash;
  return {
    walk: (visit, signal) => {
      const walkHash = unhashed;
      unhashed = undefined;
      return walkArchive(
        path,
        async (name, body) => {
          if (name !== INDEX_FILE) await visit(name, body);
        },
        { limits, signal, hash: walkHash, unlocker },
      );
    },
  };
}
