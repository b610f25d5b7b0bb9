// mr4 serve: browser mode. Serves the desktop app's renderer and API on 127.0.0.1 (see
// src-main/server/browser-server.ts for the HTTP contract and its security checks), prints the address
// with this run's access token, and runs until Ctrl-C / SIGTERM, then shuts the app down cleanly
// (running imports are cancelled and rolled back, the demo server is stopped).
//
// Browser mode never loads `electron` (tests/doors proves it): nothing here may import src-main/electron.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { defaultDataDir } from '../../services/data-dir';
import type { App } from '../../app/types';
import type { BrowserServer } from '../../server/browser-server';
import type { CliContext, CommandModule } from '../context';
import { EXIT } from '../options';

interface ServeOptions {
  port?: number;
  open?: boolean;
  dataDir?: string;
  demo: boolean;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InvalidArgumentError(`"${value}" is not a port; give a number from 1 to 65535 (or 0 for any free port)`);
  }
  return n;
}

/** The built renderer: out/renderer beside out/main (where the bundled CLI runs from), or, when run
 *  from the sources, the repository's out/renderer. */
export function findRendererDir(): string | null {
  const here = import.meta.dirname;
  for (const dir of [join(here, '..', 'renderer'), join(here, '..', '..', '..', 'out', 'renderer')]) {
    if (existsSync(join(dir, 'index.html'))) return resolve(dir);
  }
  return null;
}

/** Opens `url` in the user's browser if there is one to open; says so when there is not. */
function openBrowser(ctx: CliContext, url: string): void {
  const env = process.env;
  let command: string;
  let args: string[];
  if (env.BROWSER) {
    command = env.BROWSER;
    args = [url];
  } else if (process.platform === 'darwin') {
    command = 'open';
    args = [url];
  } else if (process.platform === 'win32') {
    command = 'rundll32';
    args = ['url.dll,FileProtocolHandler', url];
  } else {
    if (!env.DISPLAY && !env.WAYLAND_DISPLAY) {
      ctx.io.err('No display here to open a browser on: open the address above in a browser on this machine.\n');
      return;
    }
    command = 'xdg-open';
    args = [url];
  }
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => ctx.io.err(`Could not start a browser (${command}): open the address above yourself.\n`));
    child.unref();
  } catch {
    ctx.io.err(`Could not start a browser (${command}): open the address above yourself.\n`);
  }
}

/** The "embedded default where no database is given": with no saved connection yet, start the demo
 *  databases so the app can be tried at once. */
async function startDemoIfEmpty(ctx: CliContext, app: App): Promise<void> {
  const list = await app.dispatch<'connections.list'>('connections.list', {});
  if (!list.ok || list.value.length > 0) return;
  ctx.io.err('No saved connection yet: starting the demo databases (a local PostgreSQL in the data folder; --no-demo skips this)…\n');
  const result = await app.dispatch<'demo.start'>('demo.start', {});
  if (!result.ok) {
    ctx.io.err(
      `The demo databases could not be started: ${result.error.message}${result.error.hint ? `\n${result.error.hint}` : ''}\nThe app works without them: add a connection to your own database.\n`,
    );
    return;
  }
  const demo = result.value;
  if (demo.state === 'running')
    ctx.io.err(`Demo databases ready: "${demo.production}" (production) and "${demo.dev}" (dev) are saved as connections.\n`);
  else if (demo.state === 'starting') ctx.io.err(`The demo databases are starting (${demo.message}); the app shows when they are ready.\n`);
  else if (demo.state === 'error') ctx.io.err(`The demo databases could not be started: ${demo.error.message}\n`);
}

/** Resolves with the signal that asked us to stop. A second signal while stopping exits at once (one
 *  that arrives within a second of the first is the same Ctrl-C, delivered to the whole process group
 *  and forwarded by a parent such as npm start: it is ignored). */
function untilStopped(ctx: CliContext): Promise<NodeJS.Signals> {
  return new Promise((resolveStop) => {
    let stopping = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping && Date.now() - stopping < 1000) return;
      if (stopping) {
        ctx.io.err('Stopping at once.\n');
        process.exit(EXIT.interrupted);
      }
      stopping = Date.now();
      resolveStop(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export const serveCommand: CommandModule = (program, ctx) => {
  program
    .command('serve')
    .summary('run MR4 Studio in your browser (serves the app on 127.0.0.1)')
    .description(
      'Browser mode: serve the MR4 Studio app on 127.0.0.1 and print its address, with an access token for this run only. ' +
        'Open it in a browser on this machine; everything the desktop app does works there, except that archives are uploaded ' +
        'and downloaded instead of picked with native dialogs. Stop with Ctrl-C (running jobs are cancelled and rolled back). ' +
        'With no saved connection yet, the demo databases are started so the app can be tried at once.',
    )
    .option('--port <n>', 'port to listen on (default: any free port)', parsePort)
    .option('--open', 'open the address in your default browser')
    .option('--data-dir <dir>', 'data folder for connections, history and archives (default: MR4_DATA_DIR, else the platform default)')
    .option('--no-demo', 'do not start the demo databases, even when no connection is saved')
    .addHelpText('after', '\nExamples:\n  mr4 serve --open\n  mr4 serve --port 8765 --no-demo')
    .action(async (opts: ServeOptions) => {
      const { io } = ctx;
      const rendererDir = findRendererDir();
      if (!rendererDir) {
        io.err('The app is not built (out/renderer/index.html is missing): run `npm run build` first.\n');
        ctx.exitCode = EXIT.failure;
        return;
      }
      const dataDir = resolve(opts.dataDir ?? defaultDataDir());
      // The app and its server load only here: the other commands never need them.
      const [{ createApp }, { startBrowserServer }, { MemorySecretStore, PgpassSecretStore }] = await Promise.all([
        import('../../app/create-app'),
        import('../../server/browser-server'),
        import('../../services/secrets'),
      ]);
      const app = await createApp({ door: 'browser', dataDir, secrets: [new MemorySecretStore(), new PgpassSecretStore()] });
      let server: BrowserServer;
      try {
        server = await startBrowserServer({ app, port: opts.port ?? 0, host: '127.0.0.1', rendererDir });
      } catch (error) {
        await app.shutdown();
        const e = error as NodeJS.ErrnoException;
        io.err(
          e.code === 'EADDRINUSE'
            ? `Port ${opts.port} is already in use: choose another with --port, or leave --port out to get a free one.\n`
            : `Could not start the server: ${e.message}\n`,
        );
        ctx.exitCode = EXIT.failure;
        return;
      }
      const stopped = untilStopped(ctx);
      io.out(
        `MR4 Studio is running in browser mode (data folder: ${dataDir}).\n` +
          "Open this address in a browser on this machine (it holds this run's access token: do not share it):\n\n" +
          `  ${server.url}\n\n` +
          'Press Ctrl-C to stop.\n',
      );
      if (opts.open) openBrowser(ctx, server.url);
      const demo = opts.demo
        ? startDemoIfEmpty(ctx, app).catch((error: unknown) =>
            io.err(`The demo databases could not be started: ${(error as Error).message}\n`),
          )
        : Promise.resolve();

      const signal = await stopped;
      io.err(
        `\n${signal === 'SIGINT' ? 'Interrupted' : 'Asked to stop'}: closing the server${app.runningJobs() ? ` and cancelling ${app.runningJobs()} running job(s)` : ''}…\n`,
      );
      await server.close();
      await app.shutdown();
      await Promise.race([demo, new Promise((r) => setTimeout(r, 1000).unref())]);
      io.err('Stopped.\n');
      // Exit now rather than when the loop drains: closing the last signal handle restores the default
      // action, and a second Ctrl-C landing in that moment killed the process after a clean stop.
      process.exit(EXIT.ok);
    });
};
