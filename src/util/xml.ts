// The one XML reader of psremote: a strict pull scanner over a string (fast
// enough for CLIXML, where throughput matters) and a namespace-aware tree on
// top of it (for SOAP, where elements are matched by namespace URI and local
// name, never by prefix). Why our own and not saxes or fast-xml-parser:
// spec-notes/xml-reader.md.
//
// Strictness is deliberate: malformed input from a server or a file must be an
// error, not a silently different document. DOCTYPE is refused outright, which
// rules out entity expansion and external entities.

export * from './xml-types.js';
export { XmlScanner, decodeXmlEntities, isValidXmlCodePoint, xmlInputToString } from './xml-scanner.js';
export { attribute, childElement, childElements, parseXml, parseXmlNodes, textContent } from './xml-tree.js';
export { escapeXmlAttr, escapeXmlText, serializeXml } from './xml-write.js';
