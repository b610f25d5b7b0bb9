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

    const types = await app.fail('connections.save', {
      name: 'x',
      host: 'h',
      port: 'five',
      database: 'd',
      user: 'u',
      sslMode: 'sometimes',
      tag: 'prod',
    });
    expect(types.status).toBe(400);
    const problems = types.error.problems!.join('\n');
    expect(problems).toMatch(/port/);
    expect(problems).toMatch(/sslMode/);
    expect(problems).toMatch(/tag/);

    const path = await app.fail('jobs.start', { kind: 'open-archive', file: '../../etc/passwd' });
    expect(path.status).toBe(400);
    await app.shutdown();
  });

  it('never throws, whatever it is given: a malformed call is a 400, an unknown job a 404, a null body an empty one', async () => {
    const app = await makeApp();
    const cases: [method: unknown, body: unknown, status: number | 'ok'][] = [
      [undefined, undefined, 400],
      ['app.info', null, 'ok'],
      ['__proto__', {}, 400],
      ['constructor', {}, 400],
      ['jobs.get', { jobId: 'nope' }, 404],
      ['archives.rows', 'text', 400],
      [42, [], 400],
    ];
    for (const [method, body, expected] of cases) {
      const r = await app.dispatch(method as string, body);
      const what = `${String(method)} ${JSON.stringify(body)}`;
      if (expected === 'ok') {
        expect(r.ok, what).toBe(true);
        continue;
      }
      expect(r.ok, what).toBe(false);
      if (r.ok) continue;
      expect(r.status, what).toBe(expected);
      expect(r.error.title, what).toBeTruthy();
      expect(typeof r.error.details, what).toBe('string');
    }
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
