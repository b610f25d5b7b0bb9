// Masking on export: per column, what leaves the database instead of the value. Every rule runs on the
// server, in the SELECT of the table's COPY, so a clear value of a masked column never reaches this
// process, a spool file or the archive:
//
//   keep     the value as it is (overrides a default)
//   null     NULL
//   fixed    one value for every row ({"fixed": "…"}, cast to the column's type)
//   email    a fake address: anna.keller-<16 hex>@example.invalid (a reserved domain: nothing is ever
//            delivered)
//   phone    a fake number: +999 and 12 digits (+999 is no country's code)
//   name     a fake "First Last" (with 8 hex more on a column that must stay unique)
//   hash     the keyed hash itself: 64 hex digits for text, 32 bytes for bytea, a uuid, or a number
//   emails-inside  every e-mail address inside a text or JSON value replaced as the email rule
//            replaces it (the rest of the value kept): messages, notes, JSON documents
//   random   a random value of the column's type (not deterministic)
//
// NULL stays NULL under every rule but fixed-over-NULL: presence is not what is hidden.
//
// Deterministic rules (email, phone, name, hash) are HMAC-SHA256 of the value's text under the export's
// mask key, so one value masks the same way in every table and row of one archive: a masked e-mail
// still joins across tables, and distinct values stay distinct (a unique column is checked before the
// export copies it). The key is 32 random bytes per export, held in memory and given to the server as
// a transaction-local setting (never in the text of a statement, never written anywhere); two exports
// then mask the same value differently. A mask seed (--mask-seed-file, MR4_MASK_SEED) makes the key
// HMAC-SHA256(seed, "mr4 mask key v1"), so archives masked with one seed agree. What a seed reveals:
// with it, anyone can test a guess of a masked value (mask the guess, compare) — e-mail addresses and
// phone numbers are easy to guess — so a seed is as secret as the data it masks.
import { createHmac, randomBytes } from 'node:crypto';
import { literal } from './sql';

export const MASK_RULES = ['keep', 'null', 'fixed', 'email', 'phone', 'name', 'hash', 'emails-inside', 'random'] as const;
export type MaskRuleName = (typeof MASK_RULES)[number];

/** A rule as configuration writes it: a name, or {"fixed": "value"}. */
export type MaskRuleConfig = Exclude<MaskRuleName, 'fixed'> | { fixed: string };

export interface MaskRule {
  rule: Exclude<MaskRuleName, 'keep'>;
  /** The fixed rule's value, as text (cast to the column's type on the server). */
  value?: string;
}

/** A masked column of a planned table, and why. */
export interface MaskedColumn extends MaskRule {
  column: string;
  /** "configuration", "profile" (a default of the profile), or "follows T.c" (a reference that must
   *  hold the same values as the column it points at). */
  source: string;
}

export function ruleOf(config: MaskRuleConfig): MaskRule | null {
  if (typeof config === 'object') return { rule: 'fixed', value: config.fixed };
  return config === 'keep' ? null : { rule: config };
}

export function describeRule(m: MaskRule): string {
  return m.rule === 'fixed' ? `fixed ${JSON.stringify(m.value)}` : m.rule;
}

/** Rules that keep one value one value across the archive. */
export const DETERMINISTIC = new Set<string>(['email', 'phone', 'name', 'hash']);
/** Rules that keep what they do not replace (and so keep a value's meaning across tables). */
export const CONSISTENT = new Set<string>([...DETERMINISTIC, 'emails-inside']);

// ── types ─────────────────────────────────────────────────────────────────────────────────────────

const TEXT_TYPE = /^(text|character varying(\(\d+\))?|character(\(\d+\))?|citext|name)$/;

/** The most characters a text column takes (varchar(n), char(n)); null for unbounded. */
function maxLength(type: string): number | null {
  const m = /^character(?: varying)?\((\d+)\)$/.exec(type);
  return m ? Number(m[1]) : null;
}

const FIRST = [
  'Anna',
  'Ben',
  'Clara',
  'David',
  'Elena',
  'Felix',
  'Greta',
  'Hugo',
  'Ida',
  'Jonas',
  'Katja',
  'Leon',
  'Mara',
  'Nils',
  'Olga',
  'Paul',
  'Rosa',
  'Sami',
  'Tara',
  'Udo',
  'Vera',
  'Willi',
  'Xenia',
  'Yusuf',
  'Zoe',
  'Amir',
  'Lina',
  'Timo',
  'Nora',
  'Emil',
  'Mia',
  'Oskar',
];
const LAST = [
  'Keller',
  'Novak',
  'Berg',
  'Costa',
  'Dvorak',
  'Engel',
  'Fischer',
  'Garcia',
  'Hansen',
  'Ivanova',
  'Jensen',
  'Kowalski',
  'Lang',
  'Meyer',
  'Nowak',
  'Olsen',
  'Peters',
  'Quast',
  'Rossi',
  'Schmidt',
  'Torres',
  'Ulrich',
  'Vogel',
  'Weber',
  'Xu',
  'Yilmaz',
  'Zimmer',
  'Horak',
  'Silva',
  'Brandt',
  'Moreau',
  'Sato',
];
const longest = (list: string[]) => Math.max(...list.map((s) => s.length));
const EMAIL_DOMAIN = '@example.invalid';

/** The longest value a rule writes (text columns), for a column that is unique or not. */
function ruleLength(rule: MaskRule['rule'], unique: boolean): number | null {
  switch (rule) {
    case 'email':
      return longest(FIRST) + 1 + longest(LAST) + 1 + 16 + EMAIL_DOMAIN.length;
    case 'phone':
      return 16;
    case 'name':
      return longest(FIRST) + 1 + longest(LAST) + (unique ? 9 : 0);
    case 'hash':
      return 16;
    default:
      return null;
  }
}

const HASHABLE = /^(text|character varying(\(\d+\))?|character(\(\d+\))?|citext|bytea|uuid|bigint|integer|smallint|jsonb|json)$/;
const RANDOM_TYPES =
  /^(text|character varying(\(\d+\))?|character(\(\d+\))?|citext|smallint|integer|bigint|numeric(\(\d+(,\d+)?\))?|real|double precision|boolean|date|timestamp(\(\d\))? with(out)? time zone|time(\(\d\))? without time zone|interval|uuid|bytea|json|jsonb)$/;

/** Why `rule` cannot mask a column of this type (null: it can). */
export function ruleProblem(m: MaskRule, column: { type: string; notNull: boolean }, unique: boolean): string | null {
  const type = column.type;
  switch (m.rule) {
    case 'null':
      return column.notNull ? 'it is NOT NULL; mask it with fixed, hash or another rule instead' : null;
    case 'fixed':
      return typeof m.value === 'string' ? null : 'a fixed rule needs a value: {"fixed": "…"}';
    case 'email':
    case 'phone':
    case 'name': {
      if (!TEXT_TYPE.test(type)) return `${m.rule} writes text, and the column is ${type}; use hash, random, fixed or null`;
      const max = maxLength(type);
      const needs = ruleLength(m.rule, unique)!;
      return max !== null && max < needs
        ? `${m.rule} writes up to ${needs} characters, and the column holds ${max}; use hash (it fits 16 or more) or fixed`
        : null;
    }
    case 'hash': {
      if (!HASHABLE.test(type)) return `hash has no form for type ${type}; use random, fixed or null`;
      const max = maxLength(type);
      return max !== null && max < 16 ? `hash needs at least 16 characters, and the column holds ${max}; use fixed or random` : null;
    }
    case 'emails-inside': {
      if (!TEXT_TYPE.test(type) && type !== 'json' && type !== 'jsonb')
        return `emails-inside reads text or JSON, and the column is ${type}`;
      return maxLength(type) !== null ? `emails-inside can make a value longer than ${type} holds; use email, hash or fixed` : null;
    }
    case 'random':
      return RANDOM_TYPES.test(type) ? null : `random has no form for type ${type}; use hash, fixed or null`;
  }
}

// ── SQL ───────────────────────────────────────────────────────────────────────────────────────────

/** The HMAC key's inner and outer pads, given to the server as transaction-local settings. */
export const MASK_SETTINGS = { inner: 'mr4.mask_ipad', outer: 'mr4.mask_opad' } as const;

export interface MaskKey {
  /** 32 bytes. */
  key: Buffer;
  /** Whether it came from a seed the user gave (else random, for this export only). */
  seeded: boolean;
  /** Names the key without revealing it: archives with equal ids were masked alike. */
  id: string;
}

export function maskKey(seed?: Uint8Array | string): MaskKey {
  const key =
    seed === undefined || (typeof seed === 'string' ? seed.length === 0 : seed.length === 0)
      ? randomBytes(32)
      : createHmac('sha256', Buffer.from(seed)).update('mr4 mask key v1').digest();
  return {
    key,
    seeded: seed !== undefined && seed.length > 0,
    id: createHmac('sha256', key).update('mr4 mask key id').digest('hex').slice(0, 16),
  };
}

/** The two settings' values (hex): key ⊕ ipad and key ⊕ opad, padded to SHA-256's 64-byte block. */
export function maskPads(k: MaskKey): { inner: string; outer: string } {
  const block = Buffer.alloc(64);
  k.key.copy(block);
  const pad = (byte: number) => Buffer.from(block.map((b) => b ^ byte)).toString('hex');
  return { inner: pad(0x36), outer: pad(0x5c) };
}

/** HMAC-SHA256 in JavaScript, exactly as the server computes it (tests compare the two). */
export function hmacHex(k: MaskKey, text: string): string {
  return createHmac('sha256', k.key).update(text, 'utf8').digest('hex');
}

const pad = (name: string) => `(SELECT decode(current_setting(${literal(name)}), 'hex'))`;

/** HMAC-SHA256 of a value's text, as bytea (NULL for NULL). */
export function hmacSql(value: string): string {
  return `sha256(${pad(MASK_SETTINGS.outer)} || sha256(${pad(MASK_SETTINGS.inner)} || convert_to((${value})::text, 'UTF8')))`;
}

function pick(list: string[], byte: string): string {
  return `(ARRAY[${list.map((s) => literal(s)).join(', ')}])[1 + ${byte} % ${list.length}]`;
}

/** The email rule's fake for the text `value` (never NULL for a value). */
function fakeEmailSql(h: string): string {
  return `lower(${pick(FIRST, `get_byte(${h}, 0)`)}) || '.' || lower(${pick(LAST, `get_byte(${h}, 1)`)}) || '-' || substr(encode(${h}, 'hex'), 5, 16) || ${literal(EMAIL_DOMAIN)}`;
}

/** What emails-inside finds: an address of the characters e-mail addresses are written with (none of
 *  them needs escaping in JSON, so a JSON document stays valid with its addresses replaced). */
const EMAIL_PATTERN = '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}';

function emailsInsideSql(ref: string, type: string): string {
  const text = `(${ref})::text`;
  const re = literal(EMAIL_PATTERN);
  // The value split around its addresses, each address followed by its fake, joined again in order.
  return `(SELECT string_agg(p.part || coalesce(f.fake, ''), '' ORDER BY p.i)
            FROM unnest(regexp_split_to_array(${text}, ${re})) WITH ORDINALITY AS p(part, i)
            LEFT JOIN (SELECT x.i, ${fakeEmailSql('x.h')} AS fake
                       FROM (SELECT m.i, ${hmacSql('m.m[1]')} AS h FROM regexp_matches(${text}, '(' || ${re} || ')', 'g') WITH ORDINALITY AS m(m, i)) x) f
              ON f.i = p.i)::${type}`;
}

/**
 * The expression that replaces column `ref` (of `type`), given `h`, the column's HMAC (bytea) computed
 * once per row where the rule is deterministic.
 */
export function maskedValueSql(m: MaskRule, ref: string, type: string, h: string, unique: boolean): string {
  const whenValue = (expr: string) => `CASE WHEN ${ref} IS NULL THEN NULL ELSE (${expr}) END`;
  const hex = `encode(${h}, 'hex')`;
  const bits = (fromHex: number, digits: number) => `('x' || substr(${hex}, ${fromHex}, ${digits}))::bit(${digits * 4})::bigint`;
  switch (m.rule) {
    case 'null':
      return `NULL::${type}`;
    case 'fixed':
      return whenValue(`${literal(m.value ?? '')}::${type}`);
    case 'email':
      return whenValue(`(${fakeEmailSql(h)})::${type}`);
    case 'emails-inside':
      return whenValue(emailsInsideSql(ref, type));
    case 'phone':
      return whenValue(`('+999' || lpad((${bits(5, 15)} % 1000000000000)::text, 12, '0'))::${type}`);
    case 'name':
      return whenValue(
        `(${pick(FIRST, `get_byte(${h}, 0)`)} || ' ' || ${pick(LAST, `get_byte(${h}, 1)`)}${unique ? ` || ' ' || substr(${hex}, 5, 8)` : ''})::${type}`,
      );
    case 'hash': {
      if (type === 'bytea') return h;
      if (type === 'uuid') return `substr(${hex}, 1, 32)::uuid`;
      if (type === 'bigint') return `(${bits(1, 16)} & 9223372036854775807)`;
      if (type === 'integer') return `(${bits(1, 8)} & 2147483647)::integer`;
      if (type === 'smallint') return `(${bits(1, 4)} & 32767)::smallint`;
      if (type === 'json' || type === 'jsonb') return `to_jsonb(${hex})::${type}`;
      const max = maxLength(type);
      return `${max !== null && max < 64 ? `left(${hex}, ${max})` : hex}::${type}`;
    }
    case 'random':
      return whenValue(randomSql(ref, type));
  }
}

function randomSql(ref: string, type: string): string {
  const max = maxLength(type);
  if (TEXT_TYPE.test(type)) {
    const len = `length(${ref}::text)`;
    return `left(repeat(md5(random()::text), ${len} / 32 + 1), ${max !== null ? `least(${len}, ${max})` : len})::${type}`;
  }
  const numeric = /^numeric\((\d+)(?:,(\d+))?\)$/.exec(type);
  if (numeric) {
    const p = Number(numeric[1]);
    const s = Number(numeric[2] ?? 0);
    return `trunc((random() * (10::numeric ^ ${p - s} - 1))::numeric, ${s})::${type}`;
  }
  if (type === 'numeric') return `round((random() * 1000000)::numeric, 2)`;
  if (type === 'smallint') return `(random() * 32767)::integer::smallint`;
  if (type === 'integer') return `(random() * 2147483647)::bigint::integer`;
  if (type === 'bigint') return `(random() * 9007199254740991)::bigint`;
  if (type === 'real' || type === 'double precision') return `(random() * 1000000)::${type}`;
  if (type === 'boolean') return `(random() < 0.5)`;
  if (type === 'date') return `(DATE '2000-01-01' + (random() * 11000)::integer)`;
  if (/^timestamp/.test(type)) return `(TIMESTAMP '2000-01-01' + random() * INTERVAL '11000 days')::${type}`;
  if (/^time/.test(type)) return `(TIME '00:00' + random() * INTERVAL '1 day')::${type}`;
  if (type === 'interval') return `(random() * INTERVAL '1000 days')`;
  if (type === 'uuid') return `gen_random_uuid()`;
  if (type === 'bytea') return `decode(md5(random()::text), 'hex')`;
  if (type === 'json' || type === 'jsonb') return `to_jsonb(md5(random()::text))::${type}`;
  throw new Error(`internal: random has no form for ${type}`);
}

/** Whether two distinct values can mask to one (checked on unique columns before copying). */
export function mayCollide(m: MaskRule, type: string): boolean {
  if (m.rule === 'hash') return /^(integer|smallint|bigint)$/.test(type) || (maxLength(type) ?? 64) < 64;
  return m.rule !== 'null' && m.rule !== 'emails-inside';
}
