// The response headers every front door sends with the renderer and the API: one Content-Security-Policy
// for browser mode (http://127.0.0.1) and the Electron window (app://), plus the usual hardening headers.
// Pure data: imported by the browser-mode server and by the Electron protocol handler alike.

/**
 * The renderer's Content-Security-Policy (also written out in the README). Only the app's own origin:
 * no remote origins, no inline or eval'd scripts (inline styles are allowed for the component library's
 * computed positions), images and fonts also as data: URLs, no plugins, no <base>, no form posts, and the
 * page may not be framed by anyone.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Sent with every response (static files, API answers, errors, the event stream, downloads). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
});
