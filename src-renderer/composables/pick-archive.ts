import { inject, type InjectionKey } from 'vue';

/** Opens an archive: Electron's native dialog, or browser mode's file picker (then an upload). */
export type PickArchive = () => void;
export const PICK_ARCHIVE: InjectionKey<PickArchive> = Symbol('pickArchive');

export function usePickArchive(): PickArchive {
  return inject(PICK_ARCHIVE, () => undefined);
}
