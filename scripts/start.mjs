#!/usr/bin/env node
// `npm start`: the desktop app where Electron can run, browser mode everywhere else.
// `npm run serve` (this script with --browser): browser mode directly.
//
// 1. Build (electron-vite) when out/ is missing or older than any source.
// 2. Browser mode at once when asked (--browser), or when there is no display (Linux without DISPLAY
//    or WAYLAND_DISPLAY).
// 3. Otherwise the Electron binary: if node_modules/electron has none (installed with
//    ELECTRON_SKIP_BINARY_DOWNLOAD, or offline), try once to fetch it (electron's own install.js). Then
//    launch it on the built app; if there still is none, or it dies at once (missing system
//    libraries…), start browser mode instead and say why in one line.
// Browser mode is `node out/main/cli.js serve --open` (with any extra arguments passed through, e.g.
// `npm run serve -- --port 8765 --no-demo`).
//
// Stopping: whatever this script started (the app or the browser-mode server, and through it the demo
// PostgreSQL) stops cleanly on SIGTERM, SIGINT or SIGHUP to this script, to its process group (Ctrl-C,
// a closed terminal) or to the `npm start` above it (npm's shell dies without passing the signal on: our
// parent going away counts as a SIGTERM). The child runs in a process group of its own and gets exactly
// one stop signal it shuts down cleanly on (SIGINT, or SIGTERM for SIGTERM and SIGHUP); a second
// Ctrl-C is passed on too (the server then stops at once).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const browserOnly = args.includes('--browser');
const passThrough = args.filter((a) => a !== '--browser');
const say = (line) => process.stderr.write(`${line}\n`);

// Until a child runs, a stop signal (or the parent going away) means: start nothing, exit.
const PARENT = process.ppid;
const parentGone = () => process.ppid !== PARENT;
let stopBeforeStart = null;
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const early = (signal) => {
  stopBeforeStart = signal;
};
for (const signal of STOP_SIGNALS) process.on(signal, early);
function exitIfStopped() {
  if (stopBeforeStart || parentGone()) {
    say(`Stopped before starting (${stopBeforeStart ?? 'the parent process ended'}).`);
    process.exit(stopBeforeStart === 'SIGINT' ? 130 : 143);
  }
}

const OUTPUTS = ['out/main/index.js', 'out/main/cli.js', 'out/main/engine-worker.js', 'out/preload/index.cjs', 'out/renderer/index.html'];
const SOURCES = ['src-main', 'src-common', 'src-preload', 'src-renderer', 'electron.vite.config.ts', 'package.json'];

function newest(path) {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

function builtAt() {
  let oldest = Infinity;
  for (const out of OUTPUTS) {
    try {
      oldest = Math.min(oldest, statSync(join(ROOT, out)).mtimeMs);
    } catch {
      return 0;
    }
  }
  return oldest;
}

function buildIfNeeded() {
  const sources = Math.max(...SOURCES.map((s) => newest(join(ROOT, s))));
  if (builtAt() > sources) return;
  say('Building MR4 Studio (electron-vite build)…');
  const bin = join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
  const result = spawnSync(process.execPath, [bin, 'build', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    say('The build failed (see above); fix it and run npm start again.');
    process.exit(result.status ?? 1);
  }
}

/** The Electron binary's path if it is installed, else null. */
function electronBinary() {
  try {
    // In plain Node, the electron package exports the binary's path (and throws when there is none).
    const path = createRequire(join(ROOT, 'package.json'))('electron');
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

/** One try at electron's own download; returns why it failed, or null. */
function tryInstallElectron() {
  const installer = join(ROOT, 'node_modules', 'electron', 'install.js');
  if (!existsSync(installer)) return 'the electron package is not installed (run npm install)';
  say('The Electron binary is missing; trying once to download it…');
  const env = { ...process.env };
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
  const result = spawnSync(process.execPath, [installer], {
    cwd: join(ROOT, 'node_modules', 'electron'),
    env,
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (result.status === 0 && electronBinary()) return null;
  const reason = `${result.stderr ?? ''}`.split('\n').find((l) => /error|ENOTFOUND|EAI_AGAIN|ECONN|ETIMEDOUT|status code/i.test(l));
  return reason ? reason.trim().slice(0, 200) : result.error ? String(result.error.message) : `the download failed (exit ${result.status})`;
}

function run(command, commandArgs, options = {}) {
  exitIfStopped();
  const child = spawn(command, commandArgs, { cwd: ROOT, stdio: 'inherit', detached: true, ...options });
  for (const signal of STOP_SIGNALS) process.off(signal, early);
  let forwarded = 0;
  const forward = (signal) => {
    // The first stop signal asks for a clean shutdown; later ones are passed on only when they are
    // another Ctrl-C (the server then stops at once, as it does in a terminal of its own).
    if (forwarded > 0 && signal !== 'SIGINT') return;
    forwarded++;
    child.kill(signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
  };
  const handlers = STOP_SIGNALS.map((signal) => [signal, () => forward(signal)]);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  const watch = setInterval(() => {
    if (parentGone() && forwarded === 0) forward('SIGTERM');
  }, 500);
  return new Promise((resolve) => {
    const done = (result) => {
      clearInterval(watch);
      for (const [signal, handler] of handlers) process.off(signal, handler);
      resolve(result);
    };
    child.on('error', (error) => done({ code: 1, error }));
    child.on('exit', (code, signal) => done({ code: code ?? (signal === 'SIGINT' ? 130 : 1), signal, stopped: forwarded > 0 }));
  });
}

async function browserMode(why) {
  if (why) say(why);
  const { code } = await run(process.execPath, [join(ROOT, 'out', 'main', 'cli.js'), 'serve', '--open', ...passThrough]);
  process.exit(code);
}

buildIfNeeded();
exitIfStopped();

if (browserOnly) await browserMode(null);

if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  await browserMode('No display here for a desktop window; using browser mode — open the URL below (from a browser on this machine).');
}

let binary = electronBinary();
let installFailure = null;
if (!binary) {
  installFailure = tryInstallElectron();
  binary = electronBinary();
}
if (!binary) {
  await browserMode(
    `No Electron binary could be installed here; using browser mode — open the URL below. (${installFailure ?? 'none found'})`,
  );
}

const startedAt = Date.now();
const { code, error, stopped } = await run(binary, [ROOT, ...passThrough]);
if (!stopped && (error || (code !== 0 && Date.now() - startedAt < 5000))) {
  await browserMode(
    `Electron could not start here (${error ? error.message : `exit code ${code}`}); using browser mode — open the URL below.`,
  );
}
process.exit(code);
