// Electron fuses for packaged builds. Fuses are bits compiled into the Electron binary that switch
// features off for good, before any of our code runs; they are flipped on the packaged app's binary
// (e.g. from electron-builder's afterPack hook or Electron Forge's FusesPlugin with this same config).
// We do not package here (no Electron binary can be installed on the build machines), so this file
// is the configuration and a small command to apply it:
//
//   node --import tsx src-main/electron/fuses.ts <path to the packaged Electron binary>
//
// What each fuse does and why:
// - RunAsNode off: ELECTRON_RUN_AS_NODE=1 can no longer turn the app into a plain Node.js that runs any
//   script with the app's identity (and keychain access).
// - EnableNodeOptionsEnvironmentVariable off: NODE_OPTIONS (e.g. --require evil.js) is ignored.
// - EnableNodeCliInspectArguments off: --inspect / --inspect-brk cannot attach a debugger to main.
// - EnableCookieEncryption on: Chromium's cookie store is encrypted with the OS keychain.
// - EnableEmbeddedAsarIntegrityValidation on + OnlyLoadAppFromAsar on: only the signed app.asar is
//   loaded, and only if it matches the hash embedded at packaging time (package with asar).
// - GrantFileProtocolExtraPrivileges off: file:// pages get no extra privileges (we serve app://).
// - LoadBrowserProcessSpecificV8Snapshot off: the default snapshot (we ship none of our own).
import { pathToFileURL } from 'node:url';
import { flipFuses, type FuseConfig, FuseV1Options, FuseVersion } from '@electron/fuses';

export const FUSES: FuseConfig = {
  version: FuseVersion.V1,
  // Fuses added by later Electron versions keep their defaults rather than failing the build.
  strictlyRequireAllFuses: false,
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
};

/** Flips the fuses of the Electron binary at `electronBinary` (of a packaged app). */
export function applyFuses(electronBinary: string): Promise<number> {
  return flipFuses(electronBinary, { ...FUSES, resetAdHocDarwinSignature: process.platform === 'darwin' && process.arch === 'arm64' });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const binary = process.argv[2];
  if (!binary) {
    process.stderr.write('usage: node --import tsx src-main/electron/fuses.ts <path to the packaged Electron binary>\n');
    process.exit(2);
  }
  applyFuses(binary).then(
    () => process.stdout.write(`Fuses set on ${binary}\n`),
    (error: unknown) => {
      process.stderr.write(`Could not set the fuses: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
