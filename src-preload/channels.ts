// The IPC channels between the Electron main process and the preload, and the API's method names as a
// plain list. The list is checked against the contract at compile time (a method added to apiRequests
// and missing here, or one here that the contract lacks, is a type error), and a test compares it with
// Object.keys(apiRequests) at run time. It is not taken from apiRequests itself because that would pull
// zod into the sandboxed preload, which may require() nothing but electron.
import type { ApiMethod } from '../src-common/contract';

export const CHANNELS = {
  /** invoke(method, request) → DispatchResult */
  call: 'mr4:call',
  /** invoke(path) → DispatchResult<FileRef>: a file the user dropped (path from webUtils.getPathForFile). */
  addFile: 'mr4:add-file',
  /** main → window: one PushEvent. */
  event: 'mr4:event',
} as const;

export const API_METHODS = [
  'app.info',
  'connections.list',
  'connections.save',
  'connections.delete',
  'connections.duplicate',
  'connections.test',
  'dialogs.openArchive',
  'dialogs.saveArchive',
  'files.list',
  'files.showInFolder',
  'files.downloadTicket',
  'archives.info',
  'archives.rows',
  'archives.close',
  'jobs.start',
  'exports.preview',
  'jobs.cancel',
  'jobs.list',
  'jobs.get',
  'history.list',
  'diffs.page',
  'diffs.conflicts',
  'diffs.close',
  'diffs.report',
  'bases.forArchive',
  'undo.list',
  'tableKeys.get',
  'tableKeys.set',
  'demo.status',
  'demo.start',
  'demo.reset',
] as const satisfies readonly ApiMethod[];

// Every contract method is in the list (the line fails to compile, naming the missing method, if not).
type Missing = Exclude<ApiMethod, (typeof API_METHODS)[number]>;
export const everyMethodListed: [Missing] extends [never] ? true : { missing: Missing } = true;
