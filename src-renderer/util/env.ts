// How an environment tag is shown: always a word and an icon, never colour alone.
import { isProductionLike, type EnvTag } from '../../src-common/contract';

export interface TagLook {
  label: string;
  /** PrimeVue Tag severity (its colours meet contrast in light and dark). */
  severity: 'success' | 'warn' | 'danger' | 'secondary';
  icon: string;
  /** Spoken/tooltip text. */
  description: string;
}

export function tagLook(tag: EnvTag | null): TagLook {
  switch (tag) {
    case 'dev':
      return { label: 'dev', severity: 'success', icon: 'pi pi-wrench', description: 'Development' };
    case 'staging':
      return { label: 'staging', severity: 'warn', icon: 'pi pi-flag', description: 'Staging' };
    case 'production':
      return { label: 'production', severity: 'danger', icon: 'pi pi-shield', description: 'Production' };
    default:
      return { label: 'untagged', severity: 'danger', icon: 'pi pi-question-circle', description: 'No tag: treated as production' };
  }
}

export { isProductionLike };

export const DEFAULT_TAG_COLORS: Record<EnvTag | 'none', string> = {
  dev: '#16a34a',
  staging: '#d97706',
  production: '#dc2626',
  none: '#64748b',
};
