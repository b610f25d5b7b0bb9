// Native dialogs for the desktop door: the paths they return go straight to the services, which hand
// the window an opaque handle (the window never sees or sends a path).
import { basename, dirname, join } from 'node:path';
import { app, type BrowserWindow, dialog, shell } from 'electron';
import type { NativeDialogs } from '../app/types';

/** macOS file dialogs match only the last extension, so "gz" there; elsewhere the full ones. */
function archiveFilters(): Electron.FileFilter[] {
  const extensions = process.platform === 'darwin' ? ['gz', 'tgz', 'enc'] : ['tar.gz', 'tgz', 'tar.gz.enc'];
  return [{ name: 'MR4 archives (.tar.gz, encrypted .tar.gz.enc)', extensions }];
}

/** "name", "name.tar" or "name.gz" → "name.tar.gz"; names already ending in .tar.gz or .tgz (or, for
 *  an encrypted archive, .tar.gz.enc) stay. */
export function withArchiveExtension(path: string): string {
  if (/\.(tar\.gz|tgz)(\.enc)?$/i.test(path)) return path;
  return join(dirname(path), `${basename(path).replace(/\.(tar|gz)$/i, '')}.tar.gz`);
}

export function nativeDialogs(window: () => BrowserWindow | null): NativeDialogs {
  let lastFolder: string | null = null;
  return {
    async openArchive() {
      const win = window();
      const options: Electron.OpenDialogOptions = {
        title: 'Open an MR4 archive',
        properties: ['openFile'],
        filters: archiveFilters(),
        ...(lastFolder ? { defaultPath: lastFolder } : {}),
      };
      const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      const path = result.canceled ? null : (result.filePaths[0] ?? null);
      if (path) lastFolder = dirname(path);
      return path;
    },
    async saveArchive(suggestedName: string) {
      const win = window();
      const safeName = basename(suggestedName.replace(/[\\/]/g, '_')) || 'archive.tar.gz';
      const options: Electron.SaveDialogOptions = {
        title: 'Save the archive',
        defaultPath: join(lastFolder ?? app.getPath('documents'), withArchiveExtension(safeName)),
        filters: archiveFilters(),
        properties: ['createDirectory', 'showOverwriteConfirmation'],
      };
      const result = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
      if (result.canceled || !result.filePath) return null;
      const path = withArchiveExtension(result.filePath);
      lastFolder = dirname(path);
      return path;
    },
    async showInFolder(path: string) {
      shell.showItemInFolder(path);
    },
  };
}
