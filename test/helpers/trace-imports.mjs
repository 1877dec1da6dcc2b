// `node --import ./test/helpers/trace-imports.mjs …` appends every module URL
// the process resolves (ESM imports, and the packages those name) to the file
// $TRACE_IMPORTS_OUT, one a line, so a test can say what a command loaded.
import { register } from 'node:module';

register(new URL('./trace-imports-hooks.mjs', import.meta.url), { data: { out: process.env.TRACE_IMPORTS_OUT } });
