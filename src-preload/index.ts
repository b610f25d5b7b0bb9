// The preload exposes the typed API to the renderer (see src-common/contract.ts).
import { contextBridge } from 'electron';

contextBridge.exposeInMainWorld('mr4', { version: '0.1.0' });
