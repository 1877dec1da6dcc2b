// The loader hooks of trace-imports.mjs (they run on the loader's own thread,
// so they write each URL synchronously: the process may exit right after).
import { appendFileSync } from 'node:fs';

let out;

export function initialize(data) {
  out = data.out;
}

export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (out) appendFileSync(out, `${r.url}\n`);
  return r;
}
