// Archives written by the original MR4 system (format 1.0). Not yet supported.
import type { RowProblem } from '../../../src-common/contract';
import type { Catalog } from '../catalog';
import type { TableSource } from '../import/staging';
import { ArchiveError, type ArchiveIndex } from './format';
import type { ArchiveLimits, OpenedArchive } from './reader';

export interface LegacyArchive {
  index: ArchiveIndex;
  source: TableSource;
  warnings: string[];
  unresolved: RowProblem[];
}

export async function loadLegacyArchive(_opened: OpenedArchive, _catalog: Catalog, _limits?: ArchiveLimits): Promise<LegacyArchive> {
  throw new ArchiveError('Archives of the original MR4 system (format 1.0) are not supported yet.');
}
