// Serving the built renderer (out/renderer) safely, for browser mode's HTTP server and the Electron
// window's app:// protocol alike: a request path maps to a regular file inside the root or to nothing.
// No directory listings, no "..", no encoded separators or backslashes, no hidden files, no symlinks
// that lead out of the root.
import { realpath, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.eot': 'application/vnd.ms-fontobject',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** The Content-Type for a file name (application/octet-stream when unknown; with nosniff it stays inert). */
export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file a URL path names inside `root`, checked by its text only (no file system access), or null.
 * `urlPath` is the path part of a request URL, still percent-encoded ("/assets/index-abc.js"); "/" is
 * index.html. Refused: malformed percent-encoding, NUL, backslashes (raw or encoded), encoded slashes,
 * any segment that starts with "." (so "..", "%2e%2e" and hidden files), and paths ending in "/".
 */
export function staticPathFor(root: string, urlPath: string): string | null {
  const path = urlPath.split(/[?#]/, 1)[0];
  if (!path.startsWith('/')) return null;
  if (path === '/') return resolve(root, 'index.html');
  if (path.endsWith('/')) return null;
  const segments: string[] = [];
  for (const raw of path.slice(1).split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (segment === '' || segment.startsWith('.') || /[\\/\u0000-\u001f\u007f:]/.test(segment)) return null;
    segments.push(segment);
  }
  const rootAbs = resolve(root);
  const file = resolve(rootAbs, ...segments);
  if (!file.startsWith(rootAbs + sep)) return null;
  return file;
}

/** Like staticPathFor, and the file exists, is a regular file, and its real path (symlinks followed)
 *  is still inside the root's real path. */
export async function findStaticFile(root: string, urlPath: string): Promise<{ path: string; size: number; contentType: string } | null> {
  const file = staticPathFor(root, urlPath);
  if (!file) return null;
  try {
    const [realRoot, realFile] = await Promise.all([realpath(resolve(root)), realpath(file)]);
    if (!realFile.startsWith(realRoot + sep)) return null;
    const st = await stat(realFile);
    if (!st.isFile()) return null;
    return { path: realFile, size: st.size, contentType: contentTypeOf(realFile) };
  } catch {
    return null;
  }
}
