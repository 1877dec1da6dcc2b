// Loads the fuzz targets: every fuzz/targets/<name>.ts default-exports a FuzzTarget.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FuzzTarget } from './engine.js';

export const TARGETS_DIR = join(import.meta.dirname, 'targets');

export function targetNames(): string[] {
  return readdirSync(TARGETS_DIR)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

export async function loadTarget(name: string): Promise<FuzzTarget> {
  const mod = (await import(pathToFileURL(join(TARGETS_DIR, `${name}.ts`)).href)) as { default: FuzzTarget };
  const t = mod.default;
  if (!t || typeof t.run !== 'function' || typeof t.seeds !== 'function' || t.name !== name) {
    throw new Error(`fuzz/targets/${name}.ts must default-export { name: '${name}', seeds(), run(input) }`);
  }
  return t;
}
