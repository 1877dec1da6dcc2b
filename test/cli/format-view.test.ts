// The local default view (format-view.ts: what invoke and shell print when the
// remote side cannot format), the output width and the colour rule (colour.ts).
// Values built by hand, shaped as psremote's CLIXML reader gives them.
import { describe, expect, it } from 'vitest';
import { cellText, formattedScript, LocalView, outputWidth } from '../../src/cli/format-view.js';
import { colourWanted, paint } from '../../src/cli/colour.js';
import { PSObject } from '../../src/clixml/values.js';

const view = (width: number, ...values: Parameters<LocalView['push']>[0][]) => {
  const v = new LocalView(width);
  return [...values.flatMap((x) => v.push(x)), ...v.end()];
};

describe('LocalView', () => {
  it('a table per run of one shape; numbers right-aligned; a new shape starts a new table', () => {
    const a = PSObject.custom({ Name: 'alpha', Size: 5 });
    const b = PSObject.custom({ Name: 'b', Size: 12345 });
    const c = PSObject.custom({ Path: '/x' });
    expect(view(80, a, b, c, 'text')).toEqual(['', 'Name   Size', '----   ----', 'alpha     5', 'b     12345', '', '', 'Path', '----', '/x', '', 'text']);
  });

  it('five properties or more as a list; a dictionary as Name/Value; arrays enumerated; an enum by its name', () => {
    const wide = PSObject.custom({ A: 1, B: 'two', C: true, D: null, E: PSObject.list(['x', 'y']) });
    expect(view(80, wide)).toEqual(['', 'A : 1', 'B : two', 'C : True', 'D : ', 'E : {x, y}', '']);
    expect(view(80, PSObject.dictionary({ k: 'v', long: 1 }))).toEqual(['', 'Name Value', '---- -----', 'k    v', 'long     1', '']);
    expect(view(80, PSObject.list([1, 2]), null, true)).toEqual(['1', '2', 'True']);
    expect(view(80, PSObject.enum('System.DayOfWeek', 'Friday', 5))).toEqual(['Friday']);
  });

  it('the last column is cut at the width with …; collections at $FormatEnumerationLimit (4)', () => {
    const lines = view(20, PSObject.custom({ Id: 1, Text: 'x'.repeat(40) }));
    expect(lines[3]).toBe(` 1 ${'x'.repeat(16)}…`);
    expect(lines.every((l) => l.length <= 20)).toBe(true);
    expect(cellText(PSObject.list([1, 2, 3, 4, 5]))).toBe('{1, 2, 3, 4…}');
    expect(cellText(PSObject.list([1, 2, 3, 4]))).toBe('{1, 2, 3, 4}');
    expect(cellText('two\nlines')).toBe('two lines');
  });

  it('after 50 rows the widths are fixed and rows stream as they come', () => {
    const v = new LocalView(80);
    const held = Array.from({ length: 49 }, (_, i) => v.push(PSObject.custom({ N: i })));
    expect(held.every((l) => l.length === 0)).toBe(true);
    expect(v.push(PSObject.custom({ N: 49 }))).toHaveLength(53);
    expect(v.push(PSObject.custom({ N: 50 }))).toEqual(['50']);
    expect(v.end()).toEqual(['']);
  });
});

describe('width and wrapper', () => {
  it('the terminal less one column, else COLUMNS, else 120', () => {
    expect(outputWidth({ isTTY: true, columns: 100 } as unknown as NodeJS.WritableStream, {})).toBe(99);
    expect(outputWidth({} as NodeJS.WritableStream, { COLUMNS: '60' })).toBe(60);
    expect(outputWidth({} as NodeJS.WritableStream, { COLUMNS: 'wide' })).toBe(120);
    expect(outputWidth({} as NodeJS.WritableStream, {})).toBe(120);
  });

  it('the script is quoted into the wrapper (typographic quotes doubled too)', () => {
    expect(formattedScript("'it''s' ‘x’", 80)).toBe(". ([scriptblock]::Create('''it''''s'' ‘‘x’’')) | Out-String -Stream -Width 80");
  });
});

describe('colours', () => {
  const tty = { isTTY: true } as unknown as NodeJS.WritableStream;
  const pipe = {} as NodeJS.WritableStream;
  it('on a terminal; never with NO_COLOR (any value, even with FORCE_COLOR); FORCE_COLOR without a terminal', () => {
    expect(colourWanted(tty, {})).toBe(true);
    expect(colourWanted(tty, { TERM: 'dumb' })).toBe(false);
    expect(colourWanted(tty, { NO_COLOR: '' })).toBe(false);
    expect(colourWanted(pipe, {})).toBe(false);
    expect(colourWanted(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(colourWanted(pipe, { FORCE_COLOR: '0' })).toBe(false);
    expect(colourWanted(pipe, { FORCE_COLOR: 'false' })).toBe(false);
    expect(colourWanted(pipe, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false);
  });
  it('each line painted on its own; nothing when off', () => {
    expect(paint('a\nb', 'error', true)).toBe('\x1b[31;1ma\x1b[0m\n\x1b[31;1mb\x1b[0m');
    expect(paint('a', 'warning', false)).toBe('a');
  });
});
