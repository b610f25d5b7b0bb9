// The Crearis profile: what the Crearis schema's catalog cannot say by itself.
import type { Catalog } from '../catalog';
import type { Mr4Config } from '../config';

export const crearisProfile: Mr4Config = {
  profile: 'crearis',
  tables: {
    pages: { key: ['project', 'page_type'], note: 'a project has at most one page of each type' },
    images: { key: ['xmlid'], note: 'xmlid identifies an image although its index is not unique' },
    event_instructors: {
      references: [
        { columns: ['event_id'], table: 'events', refColumns: ['id'] },
        { columns: ['instructor_id'], table: 'instructors', refColumns: ['id'] },
      ],
      note: 'its foreign keys were dropped by migration 019; declared here',
    },
    users: { insertOnly: ['password'], note: 'a merge never overwrites a password hash' },
    events: {
      excludeColumns: ['tags_ids', 'tags_display'],
      note: 'tags_ids/tags_display are rebuilt by triggers from events_tags and hold target ids',
    },
    posts: {
      excludeColumns: ['tags_ids', 'tags_display'],
      note: 'tags_ids/tags_display are rebuilt by triggers from posts_tags and hold target ids',
    },
    crearis_config: { exclude: true, note: 'migration bookkeeping of each database' },
    system_config: { exclude: true, note: 'per-installation settings' },
  },
};

const signature: Record<string, string[]> = {
  users: ['sysmail', 'instructor_id'],
  projects: ['domaincode', 'regio'],
  instructors: ['xmlid'],
  events: ['xmlid', 'public_user'],
  pages: ['project', 'page_type'],
  event_instructors: ['event_id', 'instructor_id'],
};

export function isCrearis(catalog: Catalog): boolean {
  return Object.entries(signature).every(([table, columns]) => {
    const t = catalog.tables.find((x) => x.name === table);
    return !!t && columns.every((c) => t.columns.some((col) => col.name === c));
  });
}
