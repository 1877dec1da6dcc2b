// The shapes the XML reader produces and takes (src/util/xml.ts re-exports them).

export interface XmlAttribute {
  readonly ns: string;
  readonly local: string;
  readonly prefix: string;
  readonly value: string;
}

export interface XmlElement {
  readonly type: 'element';
  readonly ns: string;
  readonly local: string;
  readonly prefix: string;
  readonly attrs: readonly XmlAttribute[];
  readonly children: readonly XmlNode[];
}

export interface XmlText {
  readonly type: 'text';
  readonly text: string;
}

export type XmlNode = XmlElement | XmlText;

export interface XmlParseOptions {
  /** Maximum element nesting depth (default 512). */
  maxDepth?: number;
  /** Maximum input length in characters (default 256 MiB). */
  maxLength?: number;
  /** Where the document came from, for error messages. */
  where?: string;
  /** Accept several top-level elements (and text between them). */
  fragment?: boolean;
  /** Most namespace declarations on one element (default 256). */
  maxNamespaceDeclarationsPerElement?: number;
  /** Most namespace declarations in one document (default 65,536). */
  maxNamespaceDeclarations?: number;
}

export type XmlToken =
  | { kind: 'start'; name: string; attrs: Map<string, string>; selfClosing: boolean }
  | { kind: 'end'; name: string }
  | { kind: 'text'; text: string };

export const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';
export const XMLNS_NAMESPACE = 'http://www.w3.org/2000/xmlns/';
