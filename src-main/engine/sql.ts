// Identifier and literal quoting. Every name that reaches SQL goes through here.

export function ident(name: string): string {
  if (name.includes('\u0000')) throw new Error('identifier contains a NUL byte');
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualified(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}

export function literal(value: string): string {
  if (value.includes('\u0000')) throw new Error('literal contains a NUL byte');
  return `'${value.replace(/'/g, "''")}'`;
}

export function identList(names: readonly string[], prefix?: string): string {
  return names.map((n) => (prefix ? `${prefix}.${ident(n)}` : ident(n))).join(', ');
}
