// clixml reader (both entry points), the plain view and the CLI's display text
// of what it read: every PowerShell value a server sends goes this way.
import type { FuzzTarget } from '../engine.js';
import { clixmlDocs } from '../seeds.js';
import { parseClixml, parseClixmlDocument, readErrorRecord, readInformationRecord, readProgressRecord, toPlain } from '../../src/clixml/index.js';
import { recordMessage, toDisplayString } from '../../src/clixml/display.js';

export default {
  name: 'clixml',
  seeds: clixmlDocs,
  dictionary: ['<Ref RefId="0"/>', '<Obj RefId="1">', '<TN RefId="0"><T>System.Object</T></TN>', '<TNRef RefId="0"/>', '<LST>', '<DCT><En><S N="Key">k</S><S N="Value">v</S></En></DCT>', '<MS>', '<Props>', '<S N="x">', '_x001B_', '_x000D__x000A_', '<SS>AAAA</SS>', '<BA>AAAA</BA>', '<DT>2024-01-01T00:00:00Z</DT>', '<TS>PT1S</TS>', '<D>1.5</D>', '<Nil/>', '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'],
  run(input) {
    const v = parseClixml(input, { where: 'fuzz' });
    // A small budget first: expansion beyond it is a LimitError (the default budget is tested in test/clixml).
    JSON.stringify(toPlain(v, { maxChars: 1024 * 1024 }));
    // The display helpers expand through toPlain with its defaults; keep them to small values.
    if (input.length < 16 * 1024) {
      toDisplayString(v as never);
      recordMessage(v as never);
    }
    readErrorRecord(v);
    readInformationRecord(v);
    readProgressRecord(v);
    if (input[0] === 0x3c && input[1] === 0x4f) parseClixmlDocument(input);
  },
} satisfies FuzzTarget;
