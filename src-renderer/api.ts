// The renderer's one door to the app: typed calls through the bridge (Electron IPC or browser-mode HTTP).
import type { ApiMethod, ApiRequest, ApiResponse } from '../src-common/contract';
import { bridge } from './bridge';

export function api<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>> {
  return bridge().call(method, request);
}
