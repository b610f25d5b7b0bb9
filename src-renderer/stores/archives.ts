// Open archives: a file (dialog, picker or drop) becomes an open-archive job that streams the archive
// once into the app's paged cache; then the archive browser reads pages of rows by offset. An encrypted
// archive waits for its passphrase (the app checks it before reading); the passphrase is sent once, in
// that request, and kept nowhere in the window.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ArchiveInfo, FileRef, RowsPage, UiError } from '../../src-common/contract';
import { api } from '../api';
import { bridge, toUiError } from '../bridge';
import { useAppStore } from './app';
import { isTerminal, useJobsStore } from './jobs';

export interface OpeningState {
  name: string;
  stage: 'uploading' | 'reading';
  sent: number;
  total: number;
  jobId: string | null;
}

export const ARCHIVE_NAME = /\.(tar\.gz|tgz)(\.enc)?$/i;

/** An encrypted archive waiting for its passphrase; `wrong` after a passphrase that did not open it. */
export interface LockedArchive {
  ref: FileRef;
  wrong: boolean;
}

export const useArchivesStore = defineStore('archives', () => {
  const open = ref<Record<string, ArchiveInfo>>({});
  const currentId = ref<string | null>(null);
  const selectedTable = ref<Record<string, string | null>>({});
  const opening = ref<OpeningState | null>(null);
  const error = ref<UiError | null>(null);
  const locked = ref<LockedArchive | null>(null);
  /** Archives the app kept in its data folder (its exports and syncs, uploaded files), newest first:
   *  offered on the empty Archive screen, to open with one click. */
  const kept = ref<FileRef[]>([]);
  const jobs = useJobsStore();
  const app = useAppStore();

  const list = computed(() => Object.values(open.value).sort((a, b) => a.file.name.localeCompare(b.file.name)));
  const current = computed(() => (currentId.value ? open.value[currentId.value] : undefined));

  function add(info: ArchiveInfo): void {
    // The same archive opened again replaces the earlier copy (one entry per file content).
    for (const other of Object.values(open.value)) {
      if (other.archiveId !== info.archiveId && other.sha256 === info.sha256 && other.file.name === info.file.name)
        void close(other.archiveId);
    }
    open.value[info.archiveId] = info;
    currentId.value = info.archiveId;
  }

  /** A file dropped on the window or picked in browser mode. */
  async function openFile(file: File): Promise<void> {
    error.value = null;
    if (!ARCHIVE_NAME.test(file.name)) {
      error.value = {
        title: 'Not an archive',
        message: `"${file.name}" is not an MR4 archive.`,
        hint: 'Drop or pick a .tar.gz file that MR4 Studio (or the mr4 command) exported.',
        code: 'MR4_NOT_AN_ARCHIVE',
        details: `${file.name} (${file.size} bytes, ${file.type || 'unknown type'})`,
      };
      app.navigate('archive');
      return;
    }
    app.navigate('archive');
    opening.value = { name: file.name, stage: 'uploading', sent: 0, total: file.size, jobId: null };
    let ref: FileRef;
    try {
      ref = await bridge().addFile(file, (sent, total) => {
        if (opening.value) Object.assign(opening.value, { sent, total });
      });
    } catch (e) {
      opening.value = null;
      error.value = toUiError(e, 'The archive could not be opened');
      return;
    }
    await openRef(ref);
  }

  /** Electron's native open dialog. */
  async function pickWithDialog(): Promise<void> {
    error.value = null;
    try {
      const ref = await api('dialogs.openArchive', {});
      if (ref) await openRef(ref);
    } catch (e) {
      error.value = toUiError(e, 'The archive could not be opened');
    }
  }

  /** Streams the archive into the app's cache (an open-archive job: progress, cancel). An encrypted
   *  one is opened with `passphrase`; without it (or with a wrong one) it waits in `locked`. */
  async function openRef(ref: FileRef, passphrase?: string): Promise<void> {
    app.navigate('archive');
    error.value = null;
    opening.value = { name: ref.name, stage: 'reading', sent: ref.size, total: ref.size, jobId: null };
    try {
      const job = await jobs.start({ kind: 'open-archive', file: ref.handle, ...(passphrase ? { passphrase } : {}) }, { show: false });
      locked.value = null;
      opening.value.jobId = job.id;
      const done = await jobs.waitFor(job.id);
      if (done.state === 'succeeded' && done.result) add(done.result as ArchiveInfo);
      else if (done.state === 'failed')
        error.value = done.error ?? { title: 'The archive could not be read', message: 'Reading the archive failed.', details: done.id };
    } catch (e) {
      const ui = toUiError(e, 'The archive could not be opened');
      if (ui.code === 'MR4_PASSPHRASE_REQUIRED' || ui.code === 'MR4_WRONG_PASSPHRASE')
        locked.value = { ref, wrong: ui.code === 'MR4_WRONG_PASSPHRASE' };
      else error.value = ui;
    } finally {
      opening.value = null;
    }
  }

  /** Opens the archive waiting for its passphrase. */
  async function unlock(passphrase: string): Promise<void> {
    const waiting = locked.value;
    if (waiting) await openRef(waiting.ref, passphrase);
  }

  async function cancelOpening(): Promise<void> {
    const jobId = opening.value?.jobId;
    if (jobId) await jobs.cancel(jobId).catch(() => undefined);
  }

  async function rows(archiveId: string, table: string, offset: number, limit: number, filter?: string): Promise<RowsPage> {
    return api('archives.rows', { archiveId, table, offset, limit, ...(filter ? { filter } : {}) });
  }

  async function close(archiveId: string): Promise<void> {
    await api('archives.close', { archiveId }).catch(() => undefined);
    delete open.value[archiveId];
    if (currentId.value === archiveId) currentId.value = list.value[0]?.archiveId ?? null;
  }

  /** After a reload: archives opened by earlier open-archive jobs that the app still holds. */
  async function restore(): Promise<void> {
    const done = jobs.ordered.filter((j) => j.kind === 'open-archive' && j.state === 'succeeded' && j.result);
    for (const job of done) {
      const id = (job.result as ArchiveInfo).archiveId;
      if (!id || open.value[id]) continue;
      const sha = (job.result as ArchiveInfo).sha256;
      if (Object.values(open.value).some((a) => a.sha256 === sha)) continue; // newest first: keep the newest copy
      try {
        const info = await api('archives.info', { archiveId: id });
        open.value[info.archiveId] = info;
        currentId.value ??= info.archiveId;
      } catch {
        /* closed or expired */
      }
    }
  }

  async function loadKept(): Promise<void> {
    try {
      kept.value = await api('files.list', {});
    } catch {
      kept.value = [];
    }
  }

  /** Closes every open archive (their caches are removed). */
  async function closeAll(): Promise<void> {
    await Promise.all(Object.keys(open.value).map((id) => close(id)));
  }

  function select(archiveId: string): void {
    currentId.value = archiveId;
  }

  function selectTable(archiveId: string, table: string | null): void {
    selectedTable.value[archiveId] = table;
  }

  const openingJob = computed(() => (opening.value?.jobId ? jobs.jobs[opening.value.jobId] : undefined));
  const openingDone = computed(() => isTerminal(openingJob.value));

  app.onEvent((event) => {
    if (event.type === 'files.changed') void loadKept();
  });

  return {
    open,
    list,
    current,
    currentId,
    selectedTable,
    opening,
    openingJob,
    openingDone,
    error,
    locked,
    kept,
    openFile,
    pickWithDialog,
    openRef,
    unlock,
    cancelOpening,
    rows,
    close,
    closeAll,
    restore,
    select,
    selectTable,
    add,
    loadKept,
  };
});
