// Passwords out of any text that leaves the process (error messages, details, logs): a process-wide
// set of the passwords seen, in memory only, plus the patterns that carry one (URLs, password=…).

const knownSecrets = new Set<string>();

/** Remembers a password (in memory only) so that it is scrubbed from any error text. */
export function registerSecret(secret: string | undefined | null): void {
  if (secret && secret.length >= 3) knownSecrets.add(secret);
}

/** Removes passwords: URL userinfo, password=… parameters, PGPASSWORD=…, and every known password. */
export function scrubSecrets(text: string): string {
  let out = text
    .replace(/(postgres(?:ql)?:\/\/)([^:@/\s]*):([^@\s]*)@/gi, '$1$2:***@')
    .replace(/\b(password|passwd|pwd|PGPASSWORD)(\s*[=:]\s*)('[^']*'|"[^"]*"|[^\s&;,]+)/gi, '$1$2***');
  for (const s of knownSecrets) {
    // As written, and as URL-encoded (encodeURIComponent, and the stricter form that also encodes !'()*).
    const enc = encodeURIComponent(s);
    const strict = enc.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    for (const form of new Set([s, enc, strict])) if (out.includes(form)) out = out.split(form).join('***');
  }
  return out;
}
