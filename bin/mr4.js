#!/usr/bin/env node
// The `mr4` command: runs the built command line (out/main/cli.js, made by `npm run build`).
import { existsSync } from 'node:fs';

const cli = new URL('../out/main/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('mr4 is not built yet: run `npm run build`\n');
  process.exit(1);
}
const { run } = await import(cli.href);
await run(process.argv);
