// The handler table: one entry per API method, each a call into a service. No business logic here.
import type { z } from 'zod';
import { type ApiMethod, type ApiResponse, apiRequests, type FileRef } from '../../src-common/contract';
import { TOOL_VERSION } from '../engine/version';
import { writeReviewReport } from '../services/diff-report';
import { badRequest } from '../services/service-error';
import type { AppInternals, AppOptions } from './types';

export type Handlers = { [M in ApiMethod]: (request: z.output<(typeof apiRequests)[M]>) => Promise<ApiResponse<M>> };

const NO_DIALOGS = () =>
  badRequest(
    'Not available in browser mode',
    'File dialogs are not available in browser mode; drop or upload the archive instead.',
    'Drag the .tar.gz onto the window, or use the upload button.',
  );

export function buildHandlers(options: AppOptions, s: AppInternals): Handlers {
  const dialogs = options.dialogs;
  const store = options.secrets[0];
  return {
    'app.info': async () => ({
      version: TOOL_VERSION,
      door: options.door,
      dataDir: options.dataDir,
      nativeDialogs: !!dialogs,
      secrets: { store: store.kind, ...(store.warning ? { warning: store.warning } : {}) },
    }),

    'connections.list': () => s.connections.list(),
    'connections.save': (draft) => s.connections.save(draft),
    'connections.delete': async ({ id }) => s.connections.delete(id).then(async (done) => (await s.tableKeys.forget(id), done)),
    'connections.duplicate': ({ id }) => s.connections.duplicate(id),
    'connections.test': (request) => s.connections.test(request),

    'dialogs.openArchive': async (): Promise<FileRef | null> => {
      if (!dialogs) throw NO_DIALOGS();
      const path = await dialogs.openArchive();
      return path ? s.files.registerPath(path, 'read') : null;
    },
    'dialogs.saveArchive': async ({ suggestedName }): Promise<FileRef | null> => {
      if (!dialogs) throw NO_DIALOGS();
      const path = await dialogs.saveArchive(suggestedName);
      return path ? s.files.registerPath(path, 'write') : null;
    },

    'files.list': () => s.files.list(),
    'files.showInFolder': async ({ handle }) => {
      if (!dialogs) throw NO_DIALOGS();
      await dialogs.showInFolder(s.files.pathOf(handle).path);
      return { ok: true as const };
    },
    'files.downloadTicket': async ({ handle }) => s.files.downloadTicket(handle),

    'archives.info': ({ archiveId }) => s.archives.info(archiveId),
    'archives.rows': (request) => s.archives.rows(request),
    'archives.close': ({ archiveId }) => s.archives.close(archiveId),

    'jobs.start': (request) => s.jobs.start(request),
    'exports.preview': (request) => s.jobs.previewExport(request),
    'jobs.cancel': async ({ jobId }) => s.jobs.cancel(jobId),
    'jobs.list': async () => s.jobs.list(),
    'jobs.get': async ({ jobId }) => s.jobs.get(jobId),

    'history.list': ({ limit }) => s.history.list(limit),

    'diffs.page': (request) => s.diffs.page(request),
    'diffs.conflicts': ({ diffId }) => s.diffs.conflicts(diffId),
    'diffs.close': ({ diffId }) => s.diffs.close(diffId),
    'diffs.report': (request) => writeReviewReport(s, options, request),
    'bases.forArchive': ({ archiveId, targetId }) => s.jobs.agreedBase(archiveId, targetId),
    'undo.list': ({ targetId }) => s.jobs.undoList(targetId),
    'tableKeys.get': async ({ connectionId }) => (await s.connections.get(connectionId), s.tableKeys.get(connectionId)),
    'tableKeys.set': async ({ connectionId, table, key }) => (
      await s.connections.get(connectionId),
      s.tableKeys.set(connectionId, table, key)
    ),

    'demo.status': async () => s.demo.status(),
    'demo.start': () => s.demo.start(),
    'demo.reset': () => s.demo.reset(),
  };
}
