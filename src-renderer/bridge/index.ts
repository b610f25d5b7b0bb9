// Picks the bridge at startup: Electron's preload exposes window.mr4; otherwise this is browser mode.
import { createElectronBridge, type PreloadApi } from './electron';
import { createHttpBridge, takeToken } from './http';
import type { RendererBridge } from './types';

export type { LinkStatus, RendererBridge } from './types';
export { ApiError, toUiError, errorDetailsText } from './errors';

declare global {
  interface Window {
    mr4?: PreloadApi;
  }
}

let current: RendererBridge | null = null;

export function createBridge(): RendererBridge {
  const preload = window.mr4;
  if (preload && typeof preload.onEvent === 'function') return createElectronBridge(preload);
  return createHttpBridge(takeToken());
}

/** Tests may install a fake bridge before the stores are used. */
export function setBridge(bridge: RendererBridge): void {
  current = bridge;
}

export function bridge(): RendererBridge {
  if (!current) current = createBridge();
  return current;
}
