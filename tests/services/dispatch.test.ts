// dispatch(): every request validated where it arrives; every failure a UiError with a status; never throws.
import { describe, expect, it } from 'vitest';
import { makeApp } from './helpers';

describe('dispatch', () => {
  it('refuses an unknown method, extra fields and bad types with 400 and the problems', async () => {
    const app = await makeApp();
    const unknown = await app.fail('connections.drop', {});
    expect(unknown.status).toBe(400);
    expect(unknown.error.code).toBe('MR4_BAD_REQUEST');
    expect(unknown.error.message).toMatch(/no method "connections.drop"/);

    const extra = await app.fail('connections.list', { sneaky: 1 });
    expect(extra.status).toBe(400);
    expect(extra.error.problems?.join('\n')).toMatch(/sneaky/);

    const types = await app.fail('connections.save', { name: 'x', host: 'h', port: 'five', database: 'd', user: 'u', sslMode: 'sometimes', tag: 'prod' });
    expect(types.status).toBe(400);
    const problems = types.error.problems!.join('\n');
    expect(problems).toMatch(/port/);
    expect(problems).toMatch(/sslMode/);
    expect(problems).toMatch(/tag/);

    const path = await app.fail('jobs.start', { kind: 'open-archive', file: '../../etc/passwd' });
    expect(path.status).toBe(400);
    await app.shutdown();
  });

  it('never throws, whatever it is given', async () => {
    const app = await makeApp();
    for (const [m, b] of [[undefined, undefined], ['app.info', null], ['__proto__', {}], ['constructor', {}], ['jobs.get', { jobId: 'nope' }], ['archives.rows', 'text'], [42, []]] as const) {
      const r = await app.dispatch(m as unknown as string, b);
      expect(typeof r.ok).toBe('boolean');
      if (!r.ok) {
        expect([400, 404, 409, 500]).toContain(r.status);
        expect(r.error.title).toBeTruthy();
        expect(typeof r.error.details).toBe('string');
      }
    }
    const missing = await app.fail('jobs.get', { jobId: 'nope' });
    expect(missing.status).toBe(404);
    await app.shutdown();
  });

  it('answers app.info and refuses dialogs in browser mode', async () => {
    const app = await makeApp();
    const info = await app.call('app.info', {});
    expect(info).toMatchObject({ door: 'browser', nativeDialogs: false, secrets: { store: 'memory' }, dataDir: app.options.dataDir });
    const d = await app.fail('dialogs.openArchive', {});
    expect(d.status).toBe(400);
    expect(d.error.message).toMatch(/not available in browser mode; drop or upload the archive instead/);
    await app.shutdown();
  });
});
