// The seam between the services (connections, jobs, archives, history, demo) and the front doors
// (Electron IPC, browser-mode HTTP, CLI). A door creates one App with what only it can provide
// (native dialogs, a secret store), then only translates its transport into dispatch() calls.
import type { Readable } from 'node:stream';
import type { ApiMethod, ApiResponse, FileRef, PasswordStore, PushEvent, UiError } from '../../src-common/contract';

/** Where a password is used: stores that key passwords by server (~/.pgpass) need it; others ignore it. */
export interface SecretTarget {
  host: string;
  port: number;
  database: string;
  user: string;
}

/** Keeps connection passwords. Never writes them in clear, never logs them. */
export interface SecretStore {
  readonly kind: PasswordStore;
  /** Shown to the user when the protection is weak (e.g. safeStorage on basic_text). */
  readonly warning?: string;
  get(connectionId: string): Promise<string | undefined>;
  /** `target`: the connection's server fields (always passed by the services; a store may ignore it). */
  set(connectionId: string, password: string, target?: SecretTarget): Promise<void>;
  delete(connectionId: string): Promise<void>;
}

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

export type DispatchResult<M extends ApiMethod> = { ok: true; value: ApiResponse<M> } | { ok: false; error: UiError; status: number };

export interface FileAccess {
  /** Registers a file the user gave us (a native dialog's or a drop's path) and returns its handle. */
  registerPath(path: string, purpose: 'read' | 'write'): Promise<FileRef>;
  /** Browser mode: stores an uploaded archive (checked while it streams) and returns its handle. */
  receiveUpload(name: string, body: Readable, declaredSize: number | null): Promise<FileRef>;
  /** Browser mode: the file behind a single-use download ticket, or null. */
  redeemDownload(ticket: string): Promise<{ path: string; name: string; size: number } | null>;
}

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
