// The Electron main process entry (out/main/index.js). Everything lives in ./electron/; the CLI and
// browser mode (out/main/cli.js) never import this file or anything that loads electron.
import { startDesktopApp } from './electron/main';

startDesktopApp();
