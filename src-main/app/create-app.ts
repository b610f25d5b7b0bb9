// Builds the app a front door runs: the services over one data folder, the handler table that maps each
// API method to its service call, and dispatch(), which validates every request where it arrives and
// turns every failure into a UiError with an HTTP-ish status. The doors only translate their transport.
import { ensurePrivateDir } from '../services/fs-util';
import { ArchiveService } from '../services/archive-cache';
import { ConnectionService } from '../services/connections';
import { DemoService } from '../services/demo';
import { FileService } from '../services/files';
import { HistoryService } from '../services/history';
import { JobService } from '../services/job-service';
import { BaseRegistry } from '../services/bases';
import { DiffService } from '../services/diff-service';
import { TableKeyService } from '../services/table-keys';
import { join } from 'node:path';
import { MemorySecretStore } from '../services/secrets';
import { type ApiMethod, parseRequest, type PushEvent } from '../../src-common/contract';
import { scrubSecrets } from '../services/secret-scrubber';
import { statusOf, toUiError } from '../services/ui-error';
import { EventHub } from './events';
import { buildHandlers, type Handlers } from './handlers';
import type { App, AppInternals, AppOptions, DispatchResult } from './types';

export { defaultDataDir } from '../services/data-dir';

export async function createApp(options: AppOptions): Promise<App & { readonly services: AppInternals }> {
  const secrets = options.secrets.length ? options.secrets : [new MemorySecretStore()];
  const opts: AppOptions = { ...options, secrets };
  await ensurePrivateDir(opts.dataDir);
  const hub = new EventHub();
  const emit = (e: PushEvent) => hub.emit(e);

  const connections = new ConnectionService(opts.dataDir, secrets, () => emit({ type: 'connections.changed' }));
  const files = new FileService(opts.dataDir, { uploadMaxBytes: opts.uploadMaxBytes, onChange: () => emit({ type: 'files.changed' }) });
  await files.init();
  const archives = new ArchiveService(opts.dataDir, files);
  await archives.init();
  const history = new HistoryService(opts.dataDir, () => emit({ type: 'history.changed' }));
  const diffs = new DiffService(join(opts.dataDir, 'cache'));
  const bases = new BaseRegistry(opts.dataDir);
  const tableKeys = new TableKeyService(opts.dataDir);
  const jobs = new JobService({ connections, files, archives, history, emit, diffs, bases, tableKeys, dataDir: opts.dataDir });
  const demo = new DemoService({ dataDir: opts.dataDir, connections, emit });
  const services: AppInternals = { connections, files, archives, jobs, history, demo, diffs, bases, tableKeys };
  const handlers: Handlers = buildHandlers(opts, services);

  let shuttingDown: Promise<void> | null = null;

  return {
    options: opts,
    services,
    files,
    async dispatch<M extends ApiMethod>(method: string, body: unknown): Promise<DispatchResult<M>> {
      try {
        const name = typeof method === 'string' ? method : String(method);
        const parsed = parseRequest<M>(name, body ?? {});
        if (!parsed.ok)
          return { ok: false, error: { ...parsed.error, details: scrubSecrets(String(parsed.error.details ?? name)) }, status: 400 };
        const handler = handlers[parsed.method] as (req: unknown) => Promise<unknown>;
        const value = await handler(parsed.request);
        return { ok: true, value: value as DispatchResult<M> extends { ok: true; value: infer V } ? V : never };
      } catch (error) {
        return { ok: false, error: toUiError(error), status: statusOf(error) };
      }
    },
    onEvent: (listener) => hub.on(listener),
    runningJobs: () => jobs.running(),
    shutdown() {
      shuttingDown ??= (async () => {
        files.close();
        await jobs.shutdown();
        await diffs.shutdown();
        await archives.shutdown();
        await demo.shutdown();
      })();
      return shuttingDown;
    },
  };
}
