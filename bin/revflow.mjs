#!/usr/bin/env node
// The `revflow` command: runs api/cli.ts under tsx with the flag isolated-vm needs.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../api/cli.ts', import.meta.url));
const child = spawn(
  process.execPath,
  ['--no-node-snapshot', '--import', 'tsx', cli, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
