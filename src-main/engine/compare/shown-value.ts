// What a diff shows of a value: its whole text, or of a longer one its start and how long it is.
// Comparing, deciding and writing always use the whole value. Shown whole, one changed 64 MB value
// was copied into its field three times (source, target, base) and into every array built over the
// fields: the classification of a two-row table took 47 s, and no window can show such a value anyway.
// Text and bytea are cut from a slice of the stored value (the rest is never decompressed); any other
// type is cast to text once.
export const SHOWN_CHARS = 100_000;

/** The column types whose text is always short: shown as they are. */
const SHORT =
  /^(smallint|integer|bigint|boolean|date|uuid|real|double precision|oid|money|inet|cidr|interval|(timestamp|time)( with(out)? time zone)?)$/;
const TEXT = /^(text|character varying|character|citext|name)$/;

const cut = (size: string, unit: string) => `' … [' || ${size} || ' ${unit} in all, cut for display]'`;

/** SQL: the text `text` (an expression of type text) as a diff shows it, the expression read once. */
export function shownText(text: string): string {
  return `(SELECT CASE WHEN length(v) > ${SHOWN_CHARS} THEN left(v, ${SHOWN_CHARS}) || ${cut('length(v)', 'characters')} ELSE v END FROM (SELECT ${text} AS v OFFSET 0) q)`;
}

/** SQL: the value `expr` of a column of type `type`, as text as a diff shows it. */
export function shownValue(expr: string, type: string): string {
  const base = type.replace(/\(\d+(,\d+)?\)$/, '');
  if (SHORT.test(base)) return `${expr}::text`;
  if (TEXT.test(base)) {
    const head = `substr(${expr}::text, 1, ${SHOWN_CHARS})`;
    return `CASE WHEN octet_length(${expr}) > ${SHOWN_CHARS} AND octet_length(${head}) < octet_length(${expr}) THEN ${head} || ${cut(`octet_length(${expr})`, 'bytes')} ELSE ${expr}::text END`;
  }
  if (base === 'bytea') {
    const bytes = SHOWN_CHARS / 2;
    return `CASE WHEN octet_length(${expr}) > ${bytes} THEN substr(${expr}, 1, ${bytes})::text || ${cut(`octet_length(${expr})`, 'bytes')} ELSE ${expr}::text END`;
  }
  return shownText(`${expr}::text`);
}
