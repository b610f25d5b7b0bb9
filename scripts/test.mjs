#!/usr/bin/env node
// `npm test`: system packages if missing, a build, every suite (lint: the layers; vitest: engine, CLI,
// services, security; Playwright: the renderer in Chromium), then one line `N passed, N failed` over all
// of them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const run = (cmd, args, env = {}) => spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1;
const results = 'test-results';
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

if (run('sh', ['scripts/ensure-system-deps.sh']) !== 0) process.exit(1);
if (run('npx', ['electron-vite', 'build', '--logLevel', 'warn']) !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}

let passed = 0;
let failed = 0;
/** Every skipped test, with why (vitest's carry it in their titles, Playwright's in a skip annotation). */
const skips = [];

// Lint (the one-way layers and a few correctness rules, eslint.config.js) and the formatter
// (Prettier, .prettierrc.json) count as one suite each; their findings are printed as they are found.
if (run('npx', ['eslint', '.']) === 0) {
  console.log('lint: no findings (eslint .)');
  passed += 1;
} else failed += 1;
if (run('npx', ['prettier', '--check', '--log-level', 'warn', '.']) === 0) {
  console.log('format: every file as Prettier writes it (prettier --check .)');
  passed += 1;
} else failed += 1;

run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}/vitest.json`]);
if (existsSync(`${results}/vitest.json`)) {
  const v = JSON.parse(readFileSync(`${results}/vitest.json`, 'utf8'));
  passed += v.numPassedTests;
  failed += v.numFailedTests + (v.numFailedTestSuites > 0 && v.numFailedTests === 0 ? v.numFailedTestSuites : 0);
  for (const file of v.testResults)
    for (const t of file.assertionResults)
      if (t.status !== 'passed' && t.status !== 'failed') skips.push(`vitest ${file.name.replace(`${process.cwd()}/`, '')}: ${t.fullName}`);
} else {
  failed += 1;
}

if (existsSync('playwright.config.ts')) {
  run('npx', ['playwright', 'test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_FILE: `${results}/playwright.json` });
  if (existsSync(`${results}/playwright.json`)) {
    const p = JSON.parse(readFileSync(`${results}/playwright.json`, 'utf8'));
    passed += p.stats.expected + p.stats.flaky;
    failed += p.stats.unexpected;
    const walk = (suite, path) => {
      for (const spec of suite.specs ?? [])
        for (const t of spec.tests)
          if (t.status === 'skipped') {
            const why = t.annotations.filter((a) => a.type === 'skip').map((a) => a.description);
            skips.push(`Playwright ${[...path, spec.title].join(' › ')} (skipped: ${why.join('; ') || 'no reason given'})`);
          }
      for (const child of suite.suites ?? []) walk(child, [...path, child.title]);
    };
    for (const suite of p.suites) walk(suite, [suite.title]);
    if (p.errors?.length && p.stats.unexpected === 0) failed += p.errors.length;
  } else {
    failed += 1;
  }
}

if (skips.length) console.log(`${skips.length} skipped, each for the reason it gives:\n${skips.map((t) => `  - ${t}`).join('\n')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
