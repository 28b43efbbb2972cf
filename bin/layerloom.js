#!/usr/bin/env node
// Entry point of the `layerloom` command: runs the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';

register();
const main = new URL('../electron/cli/main.ts', import.meta.url);
const { runCli } = await import(fileURLToPath(main));
process.exitCode = await runCli(process.argv.slice(2));
