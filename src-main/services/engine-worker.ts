// A worker thread that runs one engine job and reports its events, result or error to its parent.
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineJob } from './engine-jobs';
import { runEngineJob } from './engine-jobs';
import { serializeError } from './job-errors';

export type WorkerMessage =
  | { type: 'event'; event: import('../../src-common/contract').EngineEvent }
  | { type: 'done'; result: unknown }
  | { type: 'error'; error: import('./job-errors').SerializedError };

const port = parentPort;
if (!port) throw new Error('engine-worker must run in a worker thread');
const controller = new AbortController();
port.on('message', (msg: { type: string }) => {
  if (msg.type === 'cancel') controller.abort(new Error('cancelled'));
});
const post = (m: WorkerMessage) => port.postMessage(m);
runEngineJob(workerData.job as EngineJob, controller.signal, (event) => post({ type: 'event', event })).then(
  (result) => post({ type: 'done', result }),
  (error) => post({ type: 'error', error: serializeError(error) }),
);
