// The Crearis profile: what the Crearis schema's catalog cannot say by itself.
import type { Catalog } from '../catalog';
import type { Mr4Config } from '../config';
import type { MaskRuleConfig } from '../mask';

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

/** Masked when masking is on (in the app: exporting from a production-tagged connection, with a
 *  switch on the Export screen; mr4 export --mask): every e-mail address and phone number of the
 *  schema — users', the tasks' assignees (users' addresses: masked alike, they still name the same
 *  user), the interactions' senders and recipients (and the addresses in their actions; the form
 *  fields people typed are left out), instructors' and locations' — and the users'
 *  password hashes. A masked password hash is a hash of the hash: no one logs in with it, and no one
 *  can crack it. Names are not masked by default ("mask": {"username": "name"} in the configuration). */
export const crearisMaskDefaults: Record<string, Record<string, MaskRuleConfig>> = {
  users: { sysmail: 'email', extmail: 'email', password: 'hash' },
  tasks: { assigned_to: 'email' },
  instructors: { email: 'email', phone: 'phone' },
  // Messages: their addresses, the addresses inside their actions, and the form fields people typed.
  interactions: { to_mail: 'email', from_mail: 'email', actions: 'emails-inside', fields: 'null' },
  locations: { email: 'email', phone: 'phone' },
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
