// The one contract between MR4 Studio's front doors (Electron window, browser mode, CLI) and its
// services and engine: the events a run emits and the reports it returns. It imports nothing of Node,
// Electron, pg or Vue, so main, preload, renderer, the browser-mode server and the CLI all share it.
// It imports zod, for the runtime schemas that validate requests where they arrive, and the engine's
// events and reports (src-main/engine/report-types.ts, which imports nothing).

import { z } from 'zod';
import {
  DIFF_KINDS,
  type DiffRow,
  type DiffSummary,
  type EngineEvent,
  type ImportMode,
  type MaskedColumnInfo,
  type RowProblem,
  type SubsetInfo,
  type TableCounts,
  type UndoReport,
  type UndoRunInfo,
  type ReusedIds,
  type ForgetLineageReport,
} from '../src-main/engine/report-types';
import { type Decisions, decisionsSchema } from './decisions';
import { databaseIdentity, forgetLineageScopeShapeProblems, idCeiling, idsWentBackTo } from './forget-lineage';
import { importSettingsSchema, tableName } from './import-settings';

export { type Decisions, decisionsSchema } from './decisions';
export { databaseIdentity, type ForgetLineageScope, forgetLineageScopeProblems, idCeiling, idsWentBackTo } from './forget-lineage';
export { FOREIGN_KEY_RELOAD_MODES, type ImportSettings, importSettingsSchema } from './import-settings';

// The engine's events and reports, as the doors and the window receive them.
export type {
  ImportMode,
  EngineEvent,
  TableCounts,
  RowProblem,
  ForeignKeyPath,
  ImportReport,
  ExportReport,
  MaskedColumnInfo,
  SubsetInfo,
  DiffKind,
  DiffField,
  DiffRow,
  DiffSummary,
  UndoRunInfo,
  UndoReport,
  ReusedIds,
  ForgetLineageReport,
} from '../src-main/engine/report-types';

/** Opening an archive in the app: its index, then every table streamed once into the local cache. */
export const OPEN_ARCHIVE_PHASES = ['Read index', 'Cache rows'] as const;

/** What an export with some settings would do, before it runs (the Export screen's summary). */
export interface ExportPreview {
  database: string;
  profile: string | null;
  masked: MaskedColumnInfo[];
  subset: SubsetInfo | null;
  /** Tables and columns the export leaves out, with the reason. */
  excluded: { table: string; column?: string; reason: string }[];
  tables: { table: string; role: 'data' | 'reference'; rows: number | null }[];
}

// ───────────────────────────────────────────────────────────────────────────────────────────────
// The app's API: every request a window may make (validated where it arrives, by the schemas below)
// and every event it receives. The same methods serve Electron IPC and browser mode's HTTP; file paths
// never come from a window — files are referred to by opaque handles the main side hands out.
// ───────────────────────────────────────────────────────────────────────────────────────────────

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];
export const ENV_TAGS = ['dev', 'staging', 'production'] as const;
export type EnvTag = (typeof ENV_TAGS)[number];
/** Where a connection's password is kept. keychain: Electron safeStorage; memory: until quit; pgpass:
 *  the user's ~/.pgpass (opt-in). */
export const PASSWORD_STORES = ['keychain', 'memory', 'pgpass'] as const;
export type PasswordStore = (typeof PASSWORD_STORES)[number];
/** How a connection logs in to its SSH server: the SSH agent (SSH_AUTH_SOCK), a private key in ~/.ssh
 *  (with its passphrase), or a password. */
export const SSH_AUTH_METHODS = ['agent', 'key', 'password'] as const;
export type SshAuthMethod = (typeof SSH_AUTH_METHODS)[number];
/** A host key fingerprint as OpenSSH prints it. */
export const HOST_KEY_FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'an id of letters, digits, - and _');
const handle = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'a file handle');
const text = (max: number) => z.string().max(max);

/** An SSH tunnel of a connection: the SSH server's host (a name or IP address, as for database hosts),
 *  port and user, and how to log in. `secret` is the key's passphrase or the password: undefined keeps
 *  the saved one, null forgets it, a string saves it (in the secret store, never in a settings file). */
export const sshDraftSchema = z
  .object({
    host: z
      .string()
      .min(1, 'an SSH host')
      .max(253)
      .regex(/^[A-Za-z0-9._:%[\]-]+$/, 'a host name or IP address (no spaces, no control characters)'),
    port: z.number().int().min(1).max(65535),
    user: z
      .string()
      .min(1, 'an SSH user')
      .max(64)
      .regex(/^[A-Za-z0-9_.][A-Za-z0-9_.@-]*$/, 'a user name of letters, digits, ., _, - and @'),
    auth: z.enum(SSH_AUTH_METHODS),
    /** The private key's file name in ~/.ssh (auth "key"). */
    keyFile: z
      .string()
      .regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/, 'a file name in ~/.ssh (e.g. id_ed25519)')
      .optional(),
    secret: z
      .string()
      .max(1000)
      .regex(/^[^\u0000]*$/, 'no NUL character')
      .nullable()
      .optional(),
  })
  .strict();
export type SshDraft = z.infer<typeof sshDraftSchema>;

export const connectionDraftSchema = z
  .object({
    id: id.optional(),
    name: text(100).min(1, 'a name'),
    host: text(255).min(1, 'a host'),
    port: z.number().int().min(1).max(65535),
    database: text(63).min(1, 'a database'),
    user: text(63).min(1, 'a user'),
    sslMode: z.enum(SSL_MODES),
    tag: z.enum(ENV_TAGS).nullable(),
    /** CSS colour shown wherever the connection appears. */
    color: z
      .string()
      .regex(/^#[0-9a-fA-F]{6}$/)
      .optional(),
    /** undefined: keep the stored password; null: forget it; a string: store it. */
    password: text(1000).nullable().optional(),
    passwordStore: z.enum(PASSWORD_STORES).optional(),
    /** Through an SSH tunnel (host and port are then the database's as the SSH server sees them); null or
     *  absent: a direct connection. */
    ssh: sshDraftSchema.nullable().optional(),
  })
  .strict();
export type ConnectionDraft = z.infer<typeof connectionDraftSchema>;

/** A saved connection's SSH tunnel as a window sees it: no secret, only whether one is saved. */
export interface SavedSsh {
  host: string;
  port: number;
  user: string;
  auth: SshAuthMethod;
  keyFile: string | null;
  /** A passphrase (key) or password (password) is saved for exactly this SSH host, port and user. */
  hasSecret: boolean;
  secretStore: PasswordStore | null;
}

export interface SavedConnection {
  id: string;
  name: string;
  host: string;
  port: number;
  database: string;
  user: string;
  sslMode: SslMode;
  tag: EnvTag | null;
  color: string;
  hasPassword: boolean;
  passwordStore: PasswordStore | null;
  /** Through an SSH tunnel, or null. */
  ssh: SavedSsh | null;
  /** Created by "Try with demo databases". */
  demo: boolean;
  createdAt: string;
  updatedAt: string;
}

/** An error as a window shows it: what happened in plain words, what to do next, and details to copy
 *  (secrets removed). */
export interface UiError {
  title: string;
  message: string;
  hint?: string;
  /** SQLSTATE or an MR4 error name. */
  code?: string;
  details: string;
  problems?: string[];
  rows?: RowProblem[];
  /** A run refused because ids were reused (code ReusedIdsError): per table, which database's ids
   *  went back and whose lineage names them — where the window offers to forget that lineage. */
  reusedIds?: ReusedIds[];
}

/** Where a connection test failed: reaching the SSH server, its host key, logging in to it, or the
 *  database (through the tunnel, or directly). */
export type ConnectionTestStep = 'ssh-connect' | 'ssh-host-key' | 'ssh-auth' | 'database';

/** The SSH server's host key when known_hosts does not vouch for it: unknown (a first connection:
 *  compare the fingerprint, then accept it) or changed / revoked (always refused). */
export interface HostKeyInfo {
  host: string;
  port: number;
  keyType: string;
  fingerprint: string;
  status: 'unknown' | 'changed' | 'revoked';
}

export interface ConnectionTestResult {
  ok: boolean;
  /** The step that failed (set when the test failed). */
  step?: ConnectionTestStep;
  /** With step ssh-host-key. */
  hostKey?: HostKeyInfo;
  serverVersion?: string;
  databaseSize?: number;
  tableCount?: number;
  plan?: { ok: boolean; profile: string | null; tables: number; lateColumns: string[]; warnings: number; error?: string };
  error?: UiError;
}

export interface FileRef {
  handle: string;
  name: string;
  size: number;
  modifiedAt: string;
}

export interface ArchiveTableInfo {
  name: string;
  role: 'data' | 'reference';
  rows: number;
  bytes: number;
  columns: { name: string; type: string; notNull: boolean }[];
  key: { kind: 'key' | 'content'; columns: string[]; source: string };
  /** Columns whose values are masked. */
  masked?: { column: string; rule: string }[];
  /** The table holds a subset of its rows. */
  subset?: 'filtered' | 'dependent';
}

export interface ArchiveInfo {
  archiveId: string;
  file: FileRef;
  format: string;
  legacy: boolean;
  sha256: string;
  metadata: {
    timestamp: string;
    database: string;
    schema: string;
    serverVersion: string;
    tool: string;
    profile: string | null;
    description?: string;
    identity?: string;
    /** The export masked values (seeded: with a mask seed given by the user). */
    masking?: { seeded: boolean };
    subset?: { where: { table: string; where: string }[]; withChildren: boolean };
  };
  /** The archive file is encrypted (opened with its passphrase). */
  encrypted?: boolean;
  /** verified: every table file matched index.json's sha256 while it was read. */
  checksums: 'verified' | 'failed';
  tables: ArchiveTableInfo[];
  excluded: { table: string; reason: string }[];
}

export interface RowsPage {
  table: string;
  columns: string[];
  /** Values as in the archive: PostgreSQL text, or null. */
  rows: { index: number; values: (string | null)[] }[];
  /** Rows in the table, or matches of the filter. */
  total: number;
  /** The filter stopped at its cap; more rows may match. */
  capped: boolean;
}

export const JOB_KINDS = ['export', 'import', 'sync', 'open-archive', 'diff', 'undo', 'forget-lineage'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** The import settings the app offers (the CLI has them all); a dry run or not is always said. */
const importOptions = {
  ...importSettingsSchema.pick({
    mode: true,
    allowFailures: true,
    ignoreMissingColumns: true,
    disableTriggers: true,
    tables: true,
    sameIds: true,
    probableEdits: true,
  }).shape,
  dryRun: z.boolean(),
  /** Required for a real run into a production (or untagged) connection: its database name, typed. */
  confirmDatabase: text(63).optional(),
  /** The diff the user reviewed: the merge uses its base and refuses to act if the target changed since. */
  diffId: id.optional(),
  /** Conflict decisions, answers to probable edits and exclusions made in the diff view (the
   *  decisions-file format). */
  decisions: decisionsSchema.optional(),
};

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex');

/**
 * A review as a document: what the preview of one archive against one target decided — the base it
 * compared with, the tables, rows and fields left out, a side for each conflict and an answer for each
 * probable edit. Saved from the preview and reopened there (it must be of the same archive, by its
 * SHA-256, and the same target database), written beside every reviewed merge, and taken by
 * `mr4 import --decisions FILE` (which checks the archive too). Its decisions, probableEdits,
 * onConflict and exclude are the decisions-file format's.
 */
export const reviewDocumentSchema = z
  .object({
    format: z.literal('mr4-review'),
    version: z.literal(1),
    savedAt: z.string().max(40).optional(),
    archive: z
      .object({ name: z.string().max(500).nullable(), sha256: sha256Hex, database: z.string().max(200).nullable().optional() })
      .strict(),
    target: z
      .object({
        name: z.string().max(100).optional(),
        database: text(63),
        host: z.string().max(255).optional(),
        port: z.number().int().min(1).max(65535).optional(),
      })
      .strict(),
    /** remembered: what the two databases last agreed on; archive/file: one the user chose (name and
     *  SHA-256 where known); none: two ways. */
    base: z
      .object({
        kind: z.enum(['remembered', 'archive', 'file', 'none']),
        name: z.string().max(500).nullable().optional(),
        sha256: sha256Hex.nullable().optional(),
      })
      .strict(),
    mode: importSettingsSchema.shape.mode.optional(),
    sameIds: importSettingsSchema.shape.sameIds,
    ...decisionsSchema.shape,
    decisions: decisionsSchema.shape.decisions.default([]),
    exclude: decisionsSchema.shape.exclude.default([]),
  })
  .strict();
export type ReviewDocument = z.infer<typeof reviewDocumentSchema>;

/** What an export masks and which rows it takes (the Export screen; also its preview). */
const exportOptions = {
  /** Mask personal data (the profile's defaults); unset: on for a production-tagged source. */
  mask: z.boolean().optional(),
  /** A subset: conditions on some tables (SQL expressions, run in the export's read-only snapshot). */
  where: z
    .array(z.object({ table: tableName, where: text(10_000).min(1) }).strict())
    .max(100)
    .optional(),
  /** With a subset: also the rows that point at kept rows (recursively). */
  withChildren: z.boolean().optional(),
};
/** An import's id in the target's _mr4.runs (a uuid). */
const undoRunId = z.string().regex(/^[0-9A-Fa-f-]{8,64}$/, 'an import id');
const passphrase = z.string().min(8, 'a passphrase of at least 8 characters').max(1024);

export const jobRequestSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('export'),
      sourceId: id,
      tables: z.array(tableName).max(10_000).optional(),
      /** A handle from dialogs.saveArchive; without one the archive is kept in the data folder. */
      destination: handle.optional(),
      description: text(500).optional(),
      ...exportOptions,
      /** Encrypt the archive with this passphrase (never stored, logged or sent back). */
      passphrase: passphrase.optional(),
    })
    .strict(),
  z.object({ kind: z.literal('import'), archiveId: id, targetId: id, ...importOptions }).strict(),
  z.object({ kind: z.literal('sync'), sourceId: id, targetId: id, ...importOptions }).strict(),
  /** passphrase: for an encrypted archive (asked for when opening one without it fails). */
  z.object({ kind: z.literal('open-archive'), file: handle, passphrase: text(1024).min(1).optional() }).strict(),
  z
    .object({
      kind: z.literal('diff'),
      archiveId: id,
      targetId: id,
      /** The base of a three-way diff: "auto" (what the archive's database and the target last agreed
       *  on, kept in the data folder), an archive's file handle, or none for a two-way diff. */
      base: z.union([handle, z.literal('auto')]).optional(),
      sameIds: z.boolean().optional(),
      /** As for an import; unset, rows that only look like edits are shown as 'probable_edit'. */
      probableEdits: z.enum(['same', 'new']).optional(),
      /** As for an import: columns present on one side only are left out (listed among the warnings). */
      ignoreMissingColumns: importSettingsSchema.shape.ignoreMissingColumns,
    })
    .strict(),
  /** Put the target back as it was before its newest import (from the undo log that import kept in the
   *  target). run: that import's id (the undo refuses if it is not the newest one not undone). */
  z
    .object({
      kind: z.literal('undo'),
      targetId: id,
      run: undoRunId.optional(),
      dryRun: z.boolean(),
      /** Rows changed after the import stay as they are now; the rest is undone. */
      keepChanged: z.boolean().optional(),
      /** Required for a real undo in a production (or untagged) connection: its database name, typed. */
      confirmDatabase: text(63).optional(),
    })
    .strict(),
  /** Forget the lineage of ids of some tables in a saved connection's database (the way out of a run
   *  refused because their ids were reused). It cannot be undone. */
  z
    .object({
      kind: z.literal('forget-lineage'),
      connectionId: id,
      tables: z
        .array(tableName)
        .min(1, 'at least one table')
        .max(1000)
        .refine((tables) => new Set(tables).size === tables.length, 'each table once'),
      /** Only the pairs naming ids above these (one per table): the ids went back without a restart. */
      idsAbove: z.record(tableName, idCeiling).optional(),
      /** Whose ids those are: another database's identity; left out, this database's own. */
      of: databaseIdentity.optional(),
      /** Required for a production (or untagged) connection: its database name, typed. */
      confirmDatabase: text(63).optional(),
    })
    .strict()
    .superRefine((request, ctx) => {
      for (const p of forgetLineageScopeShapeProblems(request)) ctx.addIssue({ code: 'custom', message: p.message, path: [p.field] });
    }),
]);
export type JobRequest = z.infer<typeof jobRequestSchema>;

export type JobState = 'running' | 'cancelling' | 'succeeded' | 'failed' | 'cancelled';

export interface TableProgress {
  table: string;
  phase: number;
  rowsDone: number;
  rowsTotal: number | null;
  done: boolean;
}

export interface JobInfo {
  id: string;
  kind: JobKind;
  title: string;
  state: JobState;
  startedAt: string;
  endedAt?: string;
  source?: { id: string; name: string; database: string; tag: EnvTag | null };
  target?: { id: string; name: string; database: string; tag: EnvTag | null };
  mode?: ImportMode;
  dryRun?: boolean;
  phases: string[];
  phase: number;
  tables: TableProgress[];
  log: { at: string; level: 'info' | 'warn' | 'error'; message: string }[];
  /** ExportReport, ImportReport, a sync's { export, import }, or an open-archive's ArchiveInfo. */
  result?: unknown;
  error?: UiError;
  /** For an import: the transaction is rolled back (after a cancel or a failure). */
  rolledBack?: boolean;
  /** Files the job produced (an export's archive, a sync's intermediate archive). */
  files?: FileRef[];
  /** Bytes read of the input, where the job knows them (opening an archive). */
  progress?: { done: number; total: number };
  /** The same run as an mr4 command line (never a password), for an import, sync, export or undo. */
  command?: string;
  /** A merge of a reviewed preview: the base it used and what the review decided. */
  review?: ReviewSummary;
}

export interface HistoryEntry {
  id: string;
  kind: JobKind;
  title: string;
  outcome: 'succeeded' | 'failed' | 'cancelled';
  startedAt: string;
  durationMs: number;
  source?: JobInfo['source'];
  target?: JobInfo['target'];
  mode?: ImportMode;
  dryRun?: boolean;
  counts?: TableCounts[];
  rows?: number;
  files?: FileRef[];
  error?: string;
  /** A real import or sync that kept an undo log in its target: the import's id there (mr4 undo --run). */
  undoRun?: string;
  /** An undo: which import it reverted and what it did. */
  undo?: UndoSummary;
  /** A forget-lineage: per table, the pairs of its lineage of ids forgotten. */
  lineageForgotten?: ForgetLineageReport['tables'];
  /** A merge of a reviewed preview: the base it used and what the review decided. */
  review?: ReviewSummary;
  /** The same run as an mr4 command line (never a password). */
  command?: string;
}

/** What an undo did (or, dry, would do), in totals. */
export interface UndoSummary {
  run: string;
  archive: string | null;
  sourceDatabase: string | null;
  deleted: number;
  restored: number;
  /** Rows changed after the import, left as they are. */
  kept: number;
}

/** What a reviewed merge used and decided (recorded in the history with the run). */
export interface ReviewSummary {
  /** The base's file name, or null for a two-way merge. */
  base: string | null;
  /** Conflicts decided (per row or field) and probable edits answered row by row. */
  conflictsDecided: number;
  probableEditsAnswered: number;
  /** An answer for every conflict / every probable edit. */
  onConflict?: Decisions['onConflict'];
  probableEdits?: Decisions['probableEdits'];
  /** Rows (and fields) left out, and whole tables left out. */
  rowsLeftOut: number;
  tablesLeftOut: string[];
}

/** The imports a target recorded (newest first) and which one an undo would revert. */
export interface UndoListing {
  database: string;
  runs: UndoRunInfo[];
  next: UndoRunInfo | null;
}

/** An undo job's result: the engine's report, with what became of the two databases' agreement. */
export interface UndoResult extends UndoReport {
  agreement?: 'restored' | 'forgotten' | 'unchanged';
}

export interface AppInfo {
  version: string;
  door: 'electron' | 'browser';
  dataDir: string;
  nativeDialogs: boolean;
  /** How saved passwords are protected, and a warning when that is weak. */
  secrets: { store: PasswordStore; warning?: string };
}

/** The result of a diff job: an open diff to page through until closed. */
export interface DiffOpened {
  diffId: string;
  summary: DiffSummary;
}

/** A review report written (diffs.report): the file, and how many differing rows it lists. */
export interface DiffReportFile {
  file: FileRef;
  format: 'html' | 'json';
  rows: number;
}

/** What the archive's database and a target last agreed on (kept in the data folder after every real
 *  import between them, in either direction): the base "auto" of a three-way merge. */
export interface BaseInfo {
  /** The kept agreement, its copy verified by its hash; null if none is kept for these two databases. */
  file: FileRef | null;
  /** The two databases by name, and when they last agreed. */
  between?: { archive: string; target: string; at: string };
  /** Why none is offered. */
  reason?: string;
}

/** A comparison key per table, chosen in the app for one target connection: the columns that identify
 *  a row (used although no unique index says so), or "content" (the whole row). Passed to the engine
 *  as configuration ({ tables: { <table>: { key } } }) for every import, sync and diff into that target. */
export type TableKey = string[] | 'content';
export type TableKeys = Record<string, TableKey>;

export type DemoState =
  | { state: 'stopped' }
  | { state: 'starting'; message: string }
  | { state: 'running'; production: string; dev: string }
  | { state: 'error'; error: UiError };

/** Every method: its request schema; its response type is in ApiResponses. */
export const apiRequests = {
  'app.info': z.object({}).strict(),
  'connections.list': z.object({}).strict(),
  'connections.save': connectionDraftSchema,
  'connections.delete': z.object({ id }).strict(),
  'connections.duplicate': z.object({ id }).strict(),
  /** acceptHostKey: the SSH server's host key fingerprint the user accepted after seeing it (a first
   *  connection); it is added to the data folder's known_hosts if the server presents exactly that key. */
  'connections.test': z.union([
    z.object({ id, acceptHostKey: z.string().regex(HOST_KEY_FINGERPRINT).optional() }).strict(),
    z.object({ draft: connectionDraftSchema, acceptHostKey: z.string().regex(HOST_KEY_FINGERPRINT).optional() }).strict(),
  ]),
  'dialogs.openArchive': z.object({}).strict(),
  'dialogs.saveArchive': z.object({ suggestedName: text(200) }).strict(),
  'files.list': z.object({}).strict(),
  'files.showInFolder': z.object({ handle }).strict(),
  'files.downloadTicket': z.object({ handle }).strict(),
  'archives.info': z.object({ archiveId: id }).strict(),
  'archives.rows': z
    .object({
      archiveId: id,
      table: tableName,
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(500),
      filter: text(200).optional(),
    })
    .strict(),
  'archives.close': z.object({ archiveId: id }).strict(),
  'jobs.start': jobRequestSchema,
  /** What an export of the source with these settings would mask and take, before it runs. */
  'exports.preview': z.object({ sourceId: id, tables: z.array(tableName).max(10_000).optional(), ...exportOptions }).strict(),
  'jobs.cancel': z.object({ jobId: id }).strict(),
  'jobs.list': z.object({}).strict(),
  'jobs.get': z.object({ jobId: id }).strict(),
  'history.list': z.object({ limit: z.number().int().min(1).max(1000).optional() }).strict(),
  'diffs.page': z
    .object({
      diffId: id,
      table: tableName,
      kinds: z.array(z.enum(DIFF_KINDS)).min(1),
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(500),
      search: text(200).optional(),
    })
    .strict(),
  'diffs.conflicts': z.object({ diffId: id }).strict(),
  'diffs.close': z.object({ diffId: id }).strict(),
  /** The whole review as one self-contained document (HTML: inline CSS, no scripts; or JSON): every
   *  table's counts and every differing row with its fields and what the merge does with it, by these
   *  decisions (as an import's). Written by the main side page by page; a file to download or show. */
  'diffs.report': z
    .object({
      diffId: id,
      format: z.enum(['html', 'json']),
      mode: z.enum(['skip', 'merge']).optional(),
      decisions: importOptions.decisions,
      sourceLabel: text(200).optional(),
      targetLabel: text(200).optional(),
    })
    .strict(),
  'bases.forArchive': z.object({ archiveId: id, targetId: id }).strict(),
  /** The imports the target recorded with an undo log, and which one an undo would revert. */
  'undo.list': z.object({ targetId: id }).strict(),
  'tableKeys.get': z.object({ connectionId: id }).strict(),
  /** key null: forget the table's comparison key (the plan's own applies again). */
  'tableKeys.set': z
    .object({
      connectionId: id,
      table: tableName,
      key: z
        .union([
          z
            .array(z.string().min(1).max(63))
            .min(1)
            .max(32)
            .refine((cols) => new Set(cols).size === cols.length, 'each column once'),
          z.literal('content'),
        ])
        .nullable(),
    })
    .strict(),
  'demo.status': z.object({}).strict(),
  'demo.start': z.object({}).strict(),
  'demo.reset': z.object({}).strict(),
} as const;

export type ApiMethod = keyof typeof apiRequests;
export type ApiRequest<M extends ApiMethod> = z.input<(typeof apiRequests)[M]>;

export interface ApiResponses {
  'app.info': AppInfo;
  'connections.list': SavedConnection[];
  'connections.save': SavedConnection;
  'connections.delete': { ok: true };
  'connections.duplicate': SavedConnection;
  'connections.test': ConnectionTestResult;
  'dialogs.openArchive': FileRef | null;
  'dialogs.saveArchive': FileRef | null;
  'files.list': FileRef[];
  'files.showInFolder': { ok: true };
  'files.downloadTicket': { url: string };
  'archives.info': ArchiveInfo;
  'archives.rows': RowsPage;
  'archives.close': { ok: true };
  'jobs.start': JobInfo;
  'exports.preview': ExportPreview;
  'jobs.cancel': JobInfo;
  'jobs.list': JobInfo[];
  'jobs.get': JobInfo;
  'history.list': HistoryEntry[];
  'diffs.page': { rows: DiffRow[]; total: number };
  'diffs.conflicts': DiffRow[];
  'diffs.close': { ok: true };
  'diffs.report': DiffReportFile;
  'bases.forArchive': BaseInfo;
  'undo.list': UndoListing;
  'tableKeys.get': TableKeys;
  'tableKeys.set': TableKeys;
  'demo.status': DemoState;
  'demo.start': DemoState;
  'demo.reset': DemoState;
}

export type ApiResponse<M extends ApiMethod> = ApiResponses[M];

/** Events pushed to every window. */
export type PushEvent =
  | { type: 'job.event'; jobId: string; at: string; event: EngineEvent }
  | { type: 'job.state'; job: JobInfo }
  | { type: 'connections.changed' }
  | { type: 'history.changed' }
  | { type: 'files.changed' }
  | { type: 'demo.state'; demo: DemoState };

/** The bridge a window talks through (Electron preload or browser-mode HTTP); same shape in both. */
export interface Bridge {
  call<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>>;
  onEvent(listener: (event: PushEvent) => void): () => void;
  /** Browser mode: send a dropped or picked archive to the server. Electron: register a dropped file. */
  addFile(file: File, onProgress?: (sent: number, total: number) => void): Promise<FileRef>;
}

/** An error answer from the API, as it crosses the bridge. */
export interface ApiErrorBody {
  error: UiError;
}

/** Validates a request for `method`; returns the parsed request or a UiError naming every problem. */
export function parseRequest<M extends ApiMethod>(
  method: string,
  body: unknown,
): { ok: true; method: M; request: z.output<(typeof apiRequests)[M]> } | { ok: false; error: UiError } {
  if (!Object.prototype.hasOwnProperty.call(apiRequests, method)) {
    return {
      ok: false,
      error: { title: 'Unknown request', message: `There is no method "${method}".`, code: 'MR4_BAD_REQUEST', details: method },
    };
  }
  const result = (apiRequests[method as M] as z.ZodType).safeParse(body);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`);
    return {
      ok: false,
      error: {
        title: 'Invalid request',
        message: `The request for ${method} is not valid.`,
        code: 'MR4_BAD_REQUEST',
        details: problems.join('\n'),
        problems,
      },
    };
  }
  return { ok: true, method: method as M, request: result.data as z.output<(typeof apiRequests)[M]> };
}

/** A postgres:// URL pasted into the connection form, as form fields. Only known parameters are
 *  accepted; a parameter that names a file (sslcert, sslkey, sslrootcert…) is refused. */
export function parseConnectionUrl(
  url: string,
): { ok: true; fields: Omit<ConnectionDraft, 'name' | 'tag'>; hasPassword: boolean } | { ok: false; message: string } {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return { ok: false, message: 'That is not a URL. It should look like postgres://user:password@host:5432/database' };
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:')
    return { ok: false, message: 'The URL must start with postgres:// or postgresql://' };
  const allowed = new Set(['sslmode', 'application_name', 'connect_timeout']);
  for (const key of u.searchParams.keys()) {
    if (!allowed.has(key))
      return { ok: false, message: `The parameter "${key}" is not accepted here${/^ssl|passfile/.test(key) ? ' (it names a file)' : ''}.` };
  }
  const sslMode = (u.searchParams.get('sslmode') ?? 'prefer') as SslMode;
  if (!SSL_MODES.includes(sslMode)) return { ok: false, message: `sslmode must be one of ${SSL_MODES.join(', ')}` };
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  return {
    ok: true,
    hasPassword: !!password,
    fields: {
      host: decodeURIComponent(u.hostname.replace(/^\[|\]$/g, '')) || 'localhost',
      port: u.port ? Number(u.port) : 5432,
      database: decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres',
      user: decodeURIComponent(u.username) || 'postgres',
      sslMode,
      ...(password !== undefined ? { password } : {}),
    },
  };
}

/** A connection counts as production unless it is tagged otherwise. */
export function isProductionLike(tag: EnvTag | null): boolean {
  return tag === null || tag === 'production';
}

/** Where a refusal for reused ids says to forget the lineage of ids: in the archive's database or the
 *  target, those tables. `idsAbove` where every one of them only went back, in one database (`of`:
 *  its identity where it is not this one): the pairs naming its ids above these may be forgotten alone. */
export interface LineageToForget {
  database: string;
  side: 'archive' | 'target';
  tables: string[];
  idsAbove?: Record<string, string>;
  of?: { database: string; identity: string | null; own: boolean };
}

/** Where a refusal for reused ids says to forget the lineage: per side of the run, its tables. */
export function lineageToForget(reused: ReusedIds[]): LineageToForget[] {
  const out = new Map<string, LineageToForget & { reused: ReusedIds[] }>();
  for (const r of reused)
    r.namedBySides.forEach((side, i) => {
      const where = out.get(side) ?? { database: r.namedBy[i]!, side, tables: [], reused: [] };
      if (!where.tables.includes(r.table)) where.tables.push(r.table);
      where.reused.push(r);
      out.set(side, where);
    });
  return [...out.values()].map(({ reused: named, ...where }) => ({ ...where, ...narrowerWay(where, named) }));
}

function narrowerWay(where: LineageToForget, named: ReusedIds[]): Pick<LineageToForget, 'idsAbove' | 'of'> {
  const ceilings = named.map((r) => [r.table, idsWentBackTo(r)] as const);
  const owners = new Set(named.map((r) => `${r.isArchive}`));
  if (ceilings.some(([, c]) => c === null) || owners.size !== 1 || named.length !== where.tables.length) return {};
  const went = named[0]!;
  const own = went.isArchive === (where.side === 'archive');
  if (!own && !went.identity) return {};
  return {
    idsAbove: Object.fromEntries(ceilings) as Record<string, string>,
    of: { database: went.database, identity: own ? null : went.identity, own },
  };
}
