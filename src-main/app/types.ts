// The seam between the services (connections, jobs, archives, history, demo) and the front doors
// (Electron IPC, browser-mode HTTP, CLI). A door creates one App with what only it can provide
// (native dialogs, a secret store), then only translates its transport into dispatch() calls.
import type { ApiMethod, ApiResponse, PushEvent, UiError } from '../../src-common/contract';
import type { ArchiveService } from '../services/archive-cache';
import type { BaseRegistry } from '../services/bases';
import type { ConnectionService } from '../services/connections';
import type { DemoService } from '../services/demo';
import type { DiffService } from '../services/diff-service';
import type { FileAccess, FileService } from '../services/files';
import type { HistoryService } from '../services/history';
import type { JobService } from '../services/job-service';
import type { SecretStore } from '../services/secrets';
import type { TableKeyService } from '../services/table-keys';

/** What the Electron door adds; browser mode has none of it. */
export interface NativeDialogs {
  /** A path the user picked to open, or null. */
  openArchive(): Promise<string | null>;
  /** A path the user picked to save to, or null. */
  saveArchive(suggestedName: string): Promise<string | null>;
  showInFolder(path: string): Promise<void>;
}

export interface AppOptions {
  door: 'electron' | 'browser';
  /** The shared data folder (MR4_DATA_DIR overrides the platform default). */
  dataDir: string;
  /** Secret stores available; the first is the default for new passwords. */
  secrets: SecretStore[];
  dialogs?: NativeDialogs;
  /** Largest browser upload accepted, in bytes (default 2 GiB). */
  uploadMaxBytes?: number;
}

/** The services one app runs, which the handler table calls. */
export interface AppInternals {
  connections: ConnectionService;
  files: FileService;
  archives: ArchiveService;
  jobs: JobService;
  history: HistoryService;
  demo: DemoService;
  diffs: DiffService;
  bases: BaseRegistry;
  tableKeys: TableKeyService;
}

export type DispatchResult<M extends ApiMethod> = { ok: true; value: ApiResponse<M> } | { ok: false; error: UiError; status: number };

export interface App {
  readonly options: AppOptions;
  /** Validates the request, runs it, maps every failure to a UiError. Never throws. */
  dispatch<M extends ApiMethod>(method: string, body: unknown): Promise<DispatchResult<M>>;
  onEvent(listener: (event: PushEvent) => void): () => void;
  readonly files: FileAccess;
  /** Jobs still running (the Electron door asks before quitting). */
  runningJobs(): number;
  /** Stops the demo server, cancels jobs and waits for their rollback. */
  shutdown(): Promise<void>;
}
