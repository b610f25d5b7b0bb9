import type { JobKind } from '../../src-common/contract';

/** A job's kind in words (a Record, so a new kind in the contract is a type error here, not a blank). */
export const JOB_KIND_LABEL: Record<JobKind, string> = {
  export: 'Export',
  import: 'Import',
  sync: 'Sync',
  'open-archive': 'Open archive',
  diff: 'Preview changes',
  undo: 'Undo',
  'forget-lineage': 'Forget lineage',
};
