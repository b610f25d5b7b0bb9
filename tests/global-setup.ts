// Starts one throwaway PostgreSQL server for the whole test run, unless TEST_DATABASE_URL names one.
import type { TestProject } from 'vitest/node';
import { startThrowawayServer, type ThrowawayServer } from './helpers/pg-server';

let server: ThrowawayServer | undefined;

export default async function setup(project: TestProject): Promise<() => void> {
  const named = process.env.TEST_DATABASE_URL;
  if (named) {
    project.provide('pgAdminUrl', named);
  } else {
    server = await startThrowawayServer();
    project.provide('pgAdminUrl', server.url);
  }
  return () => server?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}
