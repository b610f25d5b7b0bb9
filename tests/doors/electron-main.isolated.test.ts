// The Electron door's logic, without an Electron binary (none can be installed on these machines): the
// `electron` module is replaced by a small fake, and the real modules of src-main/electron are driven
// through it — IPC sender checks, the app:// protocol handler, the safeStorage secret store, the
// external-link allow-list — plus the preload's method list against the contract and its built bundle.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { apiRequests, type PushEvent } from '../../src-common/contract';
import { CONTENT_SECURITY_POLICY } from '../../src-main/server/headers';
import { API_METHODS, CHANNELS } from '../../src-preload/channels';
import { ensureBuilt, ROOT } from '../helpers/cli';

type Handler = (event: unknown, ...args: unknown[]) => Promise<unknown>;

const fake = vi.hoisted(() => {
  const handlers = new Map<string, Handler>();
  const state = {
    handlers,
    protocolHandler: null as null | ((request: Request) => Promise<Response>),
    privileged: [] as unknown[],
    backend: 'gnome_libsecret' as string,
    encryptionAvailable: true,
    opened: [] as string[],
  };
  return state;
});

vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, fn: Handler) => fake.handlers.set(channel, fn),
    removeHandler: (channel: string) => fake.handlers.delete(channel),
  },
  protocol: {
    registerSchemesAsPrivileged: (schemes: unknown[]) => fake.privileged.push(...schemes),
    handle: (_scheme: string, fn: (request: Request) => Promise<Response>) => (fake.protocolHandler = fn),
  },
  safeStorage: {
    isEncryptionAvailable: () => fake.encryptionAvailable,
    getSelectedStorageBackend: () => fake.backend,
    // A reversible stand-in for the OS keychain: XOR with a key and a prefix, never the clear bytes.
    encryptString: (text: string) => Buffer.concat([Buffer.from('v10'), Buffer.from(text, 'utf8').map((b) => b ^ 0x5a)]),
    decryptString: (data: Buffer) => Buffer.from(data.subarray(3).map((b) => b ^ 0x5a)).toString('utf8'),
  },
  shell: { openExternal: async (url: string) => void fake.opened.push(url), showItemInFolder: () => undefined },
  app: { on: () => undefined, getPath: () => tmpdir() },
  session: {},
  dialog: {},
  BrowserWindow: class {},
}));

const { isTrustedSender, registerIpc } = await import('../../src-main/electron/ipc');
const { handleAppScheme, registerAppScheme, isAppUrl } = await import('../../src-main/electron/protocol');
const { SafeStorageSecretStore } = await import('../../src-main/electron/safe-storage-secrets');
const { isAllowedExternal } = await import('../../src-main/electron/window');
const { withArchiveExtension } = await import('../../src-main/electron/dialogs');

let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'mr4-electron-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

// ── IPC ────────────────────────────────────────────────────────────────────────────────────────────

interface FakeFrame {
  url: string;
  parent: FakeFrame | null;
  processId: number;
  routingId: number;
}

function fakeWindow(url = 'app://mr4/index.html') {
  const mainFrame: FakeFrame = { url, parent: null, processId: 4, routingId: 1 };
  const sent: unknown[][] = [];
  const webContents = { mainFrame, getURL: () => mainFrame.url, send: (...args: unknown[]) => sent.push(args) };
  return { win: { isDestroyed: () => false, webContents }, mainFrame, sent };
}

function fakeApp() {
  const listeners = new Set<(e: PushEvent) => void>();
  const calls: [string, unknown][] = [];
  const registered: string[] = [];
  return {
    calls,
    registered,
    emit: (e: PushEvent) => listeners.forEach((l) => l(e)),
    app: {
      options: { door: 'electron' as const, dataDir: work, secrets: [] },
      dispatch: async (method: string, body: unknown) => {
        calls.push([method, body]);
        return { ok: true as const, value: { echoed: method } };
      },
      onEvent: (l: (e: PushEvent) => void) => (listeners.add(l), () => void listeners.delete(l)),
      files: {
        registerPath: async (path: string) => (registered.push(path), { handle: 'HANDLE_1234', name: 'a.tar.gz', size: 1, modifiedAt: '' }),
        receiveUpload: async () => {
          throw new Error('not in electron');
        },
        redeemDownload: async () => null,
      },
      runningJobs: () => 0,
      shutdown: async () => undefined,
    },
  };
}

describe('IPC', () => {
  test('calls from the main frame of our window on app:// reach dispatch; events go to the window', async () => {
    const { win, mainFrame, sent } = fakeWindow();
    const a = fakeApp();
    const off = registerIpc(a.app as never, () => win as never);
    const call = fake.handlers.get(CHANNELS.call)!;
    const result = await call({ sender: win.webContents, senderFrame: mainFrame }, 'connections.list', {});
    expect(result).toEqual({ ok: true, value: { echoed: 'connections.list' } });
    expect(a.calls).toEqual([['connections.list', {}]]);

    const added = await fake.handlers.get(CHANNELS.addFile)!({ sender: win.webContents, senderFrame: mainFrame }, '/home/me/a.tar.gz');
    expect(added).toMatchObject({ ok: true, value: { handle: 'HANDLE_1234' } });
    expect(a.registered).toEqual(['/home/me/a.tar.gz']);

    a.emit({ type: 'history.changed' });
    expect(sent).toEqual([[CHANNELS.event, { type: 'history.changed' }]]);
    off();
    expect(fake.handlers.size).toBe(0);
  });

  test('subframes, other webContents, other URLs and vanished frames are refused (403) before dispatch', async () => {
    const { win, mainFrame, sent } = fakeWindow();
    const a = fakeApp();
    const off = registerIpc(a.app as never, () => win as never);
    const call = fake.handlers.get(CHANNELS.call)!;
    const other = fakeWindow();
    const cases = [
      { sender: win.webContents, senderFrame: { ...mainFrame, parent: mainFrame, routingId: 2 } },
      { sender: win.webContents, senderFrame: null },
      { sender: other.win.webContents, senderFrame: other.mainFrame },
      { sender: win.webContents, senderFrame: { ...mainFrame, routingId: 9 } },
      { sender: win.webContents, senderFrame: { ...mainFrame, url: 'https://evil.example/' } },
      { sender: win.webContents, senderFrame: { ...mainFrame, url: 'file:///etc/passwd' } },
      { sender: win.webContents, senderFrame: { ...mainFrame, url: 'app://other/index.html' } },
    ];
    for (const event of cases) {
      expect(await call(event, 'app.info', {})).toMatchObject({ ok: false, status: 403 });
      expect(await fake.handlers.get(CHANNELS.addFile)!(event, '/etc/passwd.tar.gz')).toMatchObject({ ok: false, status: 403 });
    }
    expect(a.calls).toEqual([]);
    expect(a.registered).toEqual([]);
    // A window that navigated away receives no events.
    mainFrame.url = 'https://evil.example/';
    a.emit({ type: 'files.changed' });
    expect(sent).toEqual([]);
    expect(isTrustedSender({ sender: win.webContents, senderFrame: mainFrame } as never, null)).toBe(false);
    off();
  });

  test('a method that is not a string, or a path that is not one, is refused', async () => {
    const { win, mainFrame } = fakeWindow();
    const a = fakeApp();
    const off = registerIpc(a.app as never, () => win as never);
    const event = { sender: win.webContents, senderFrame: mainFrame };
    expect(await fake.handlers.get(CHANNELS.call)!(event, { toString: () => 'app.info' }, {})).toMatchObject({ ok: false, status: 400 });
    for (const bad of [42, '', 'a\0b', 'x'.repeat(5000), null]) {
      expect(await fake.handlers.get(CHANNELS.addFile)!(event, bad)).toMatchObject({ ok: false, status: 400 });
    }
    expect(a.calls).toEqual([]);
    off();
  });
});

// ── app:// ─────────────────────────────────────────────────────────────────────────────────────────

describe('the app:// protocol', () => {
  beforeAll(() => {
    const root = join(work, 'renderer');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>MR4 Studio</title>');
    writeFileSync(join(root, 'assets', 'a.js'), 'export {}');
    writeFileSync(join(work, 'secret.txt'), 'SECRET');
    registerAppScheme();
    handleAppScheme(root);
  });

  test('is registered as a standard, secure scheme', () => {
    expect(fake.privileged).toEqual([
      expect.objectContaining({ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) }),
    ]);
    expect(isAppUrl('app://mr4/index.html')).toBe(true);
    expect(isAppUrl('app://evil/index.html')).toBe(false);
    expect(isAppUrl('https://mr4/')).toBe(false);
  });

  test('serves the renderer with the same CSP as browser mode', async () => {
    const res = await fake.protocolHandler!(new Request('app://mr4/index.html'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toContain('MR4 Studio');
    const js = await fake.protocolHandler!(new Request('app://mr4/assets/a.js'));
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fake.protocolHandler!(new Request('app://mr4/'))).status).toBe(200);
  });

  test('no traversal, other hosts or missing files', async () => {
    for (const url of [
      'app://mr4/../secret.txt',
      'app://mr4/%2e%2e/secret.txt',
      'app://mr4/assets/..%2f..%2fsecret.txt',
      'app://mr4/..%5csecret.txt',
      'app://mr4/assets/',
      'app://mr4/nope.js',
      'app://other/index.html',
    ]) {
      const res = await fake.protocolHandler!(new Request(url));
      expect(res.status, url).toBe(404);
      expect(await res.text(), url).not.toContain('SECRET');
      expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    }
  });
});

// ── safeStorage ────────────────────────────────────────────────────────────────────────────────────

describe('the safeStorage secret store', () => {
  beforeEach(() => {
    fake.backend = 'gnome_libsecret';
    fake.encryptionAvailable = true;
  });

  test('keeps only ciphertext, in a 0600 file, and reads it back', async () => {
    const dir = join(work, 'secrets-ok');
    mkdirSync(dir);
    const store = new SafeStorageSecretStore(dir);
    expect(store.kind).toBe('keychain');
    const password = 'correct horse battery staple';
    await store.set('conn_1', password);
    await store.set('conn_2', 'another one');
    expect(await store.get('conn_1')).toBe(password);
    const file = join(dir, 'keychain-secrets.json');
    const bytes = readFileSync(file);
    expect(bytes.includes(Buffer.from(password))).toBe(false);
    expect(bytes.includes(Buffer.from('another one'))).toBe(false);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await store.delete('conn_1');
    expect(await store.get('conn_1')).toBeUndefined();
    expect(await store.get('conn_2')).toBe('another one');
    expect(await new SafeStorageSecretStore(dir).get('conn_2')).toBe('another one');
  });

  test.runIf(process.platform === 'linux')('warns when the Linux backend is basic_text or unknown', () => {
    expect(new SafeStorageSecretStore(work).warning).toBeUndefined();
    fake.backend = 'basic_text';
    expect(new SafeStorageSecretStore(work).warning).toMatch(/basic_text.*only obfuscated/);
    fake.backend = 'unknown';
    expect(new SafeStorageSecretStore(work).warning).toMatch(/unknown/);
  });

  test('without encryption it warns and refuses to save', async () => {
    fake.encryptionAvailable = false;
    const dir = join(work, 'secrets-none');
    mkdirSync(dir);
    const store = new SafeStorageSecretStore(dir);
    expect(store.warning).toMatch(/no encryption/);
    await expect(store.set('c', 'pw')).rejects.toThrow(/cannot be saved encrypted/);
  });
});

// ── links, dialogs ────────────────────────────────────────────────────────────────────────────────

describe('external links and file names', () => {
  test('only allow-listed https documentation opens outside', () => {
    expect(isAllowedExternal('https://www.postgresql.org/docs/current/errcodes-appendix.html')).toBe(true);
    for (const url of [
      'http://www.postgresql.org/docs/',
      'https://www.postgresql.org.evil.example/docs/',
      'https://evil.example/?https://www.postgresql.org/docs/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'https://user:pw@www.postgresql.org/docs/',
      'smb://host/share',
    ]) {
      expect(isAllowedExternal(url), url).toBe(false);
    }
  });

  test('saved archives end in .tar.gz', () => {
    expect(withArchiveExtension('/x/prod')).toBe('/x/prod.tar.gz');
    expect(withArchiveExtension('/x/prod.tar')).toBe('/x/prod.tar.gz');
    expect(withArchiveExtension('/x/prod.tgz')).toBe('/x/prod.tgz');
    expect(withArchiveExtension('/x/prod.TAR.GZ')).toBe('/x/prod.TAR.GZ');
  });
});

// ── the preload ───────────────────────────────────────────────────────────────────────────────────

describe('the preload', () => {
  test("exposes exactly the contract's methods", () => {
    expect([...API_METHODS].sort()).toEqual(Object.keys(apiRequests).sort());
  });

  test('is one CommonJS file that requires nothing but electron and never exposes ipcRenderer', () => {
    ensureBuilt();
    const bundle = readFileSync(join(ROOT, 'out', 'preload', 'index.cjs'), 'utf8');
    const required = [...bundle.matchAll(/\brequire\s*\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
    expect(new Set(required)).toEqual(new Set(['electron']));
    expect(bundle).not.toMatch(/^\s*import\s|\bimport\s*\(/m);
    const exposed = [...bundle.matchAll(/exposeInMainWorld\(\s*["']([^"']+)["']/g)].map((m) => m[1]);
    expect(exposed).toEqual(['mr4']);
    // ipcRenderer is used inside functions only, never handed over as a value.
    expect(bundle).not.toMatch(/ipcRenderer\s*[,}]|:\s*(electron\.)?ipcRenderer\b/);
  });
});
