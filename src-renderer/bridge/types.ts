import type { Bridge } from '../../src-common/contract';

/** How the window is connected to the app's event stream. */
export type LinkStatus = 'connecting' | 'connected' | 'reconnecting' | 'unauthorized';

/** The contract's Bridge plus what only the renderer needs: the link state (browser mode reconnects its
 *  event stream and the stores re-read what they may have missed) and how to download a file. */
export interface RendererBridge extends Bridge {
  readonly door: 'electron' | 'browser';
  onStatus(listener: (status: LinkStatus) => void): () => void;
  /** Starts a download of the URL files.downloadTicket returned (browser mode). */
  download(url: string, name: string): void;
}
