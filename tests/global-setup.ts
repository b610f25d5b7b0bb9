// Starts one throwaway PostgreSQL server for the whole test run, unless TEST_DATABASE_URL names one.
// The `postgres` and `isolated` projects (vitest.config.ts) both name this file; the first to run starts
// the server, the last to finish stops it (kept on globalThis: each project may load this module afresh).
import type { TestProject } from 'vitest/node';
import { startThrowawayServer, type ThrowawayServer } from './helpers/pg-server';

const shared = globalThis as { mr4TestServer?: { server: Promise<ThrowawayServer>; users: number } };

export default async function setup(project: TestProject): Promise<() => void> {
  const named = process.env.TEST_DATABASE_URL;
  if (named) {
    project.provide('pgAdminUrl', named);
    return () => {};
  }
  shared.mr4TestServer ??= { server: startThrowawayServer(), users: 0 };
  const entry = shared.mr4TestServer;
  entry.users += 1;
  const server = await entry.server;
  project.provide('pgAdminUrl', server.url);
  return () => {
    entry.users -= 1;
    if (entry.users > 0) return;
    server.stop();
    delete shared.mr4TestServer;
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}
