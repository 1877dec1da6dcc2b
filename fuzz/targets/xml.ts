// util/xml: the strict scanner and the namespace tree every SOAP envelope goes through.
import type { FuzzTarget } from '../engine.js';
import { envelopes } from '../seeds.js';
import { parseXml, parseXmlNodes, serializeXml } from '../../src/util/xml.js';

export default {
  name: 'xml',
  seeds: envelopes,
  dictionary: ['xmlns:s="http://www.w3.org/2003/05/soap-envelope"', 'xmlns=""', '<s:Envelope>', '</s:Envelope>', '&#x10FFFF;', '&#xD800;', ' xmlns:p="u"'],
  run(input) {
    const root = parseXml(input, { where: 'fuzz' });
    serializeXml(root);
    if (input[0] === 0x20) parseXmlNodes(input, { fragment: true });
  },
} satisfies FuzzTarget;
