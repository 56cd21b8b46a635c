/**
 * A small, tolerant XML reader: enough for URDF files as robotics object sets
 * ship them. Elements and attributes only; text, comments, processing
 * instructions, CDATA and DOCTYPE are skipped. Unquoted attribute values are
 * accepted. Structural errors (unclosed or mismatched tags, no root) throw
 * ObjectImportError naming the file and line.
 */
import { ObjectImportError } from './errors.js';

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** 1-based line of the opening tag, for error messages. */
  line: number;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[body] ?? whole;
  });
}

/** Parse `text` (the content of `file`) into its root element. */
export function parseXml(text: string, file: string): XmlElement {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const newlines: number[] = [];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) newlines.push(i);
  const lineAt = (at: number) => {
    // 1 + the number of newlines before `at` (binary search).
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (newlines[mid] < at) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  const fail = (at: number, detail: string): never => {
    throw new ObjectImportError(file, `malformed XML at line ${lineAt(at)}: ${detail}`);
  };
  const skipPast = (at: number, terminator: string, what: string): number => {
    const end = text.indexOf(terminator, at);
    if (end < 0) fail(at, `unterminated ${what}`);
    return end + terminator.length;
  };

  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    if (lt < 0) {
      if (text.slice(pos).trim() && !stack.length) fail(pos, 'text outside the root element');
      break;
    }
    if (!stack.length && text.slice(pos, lt).trim()) fail(pos, 'text outside the root element');
    if (text.startsWith('<!--', lt)) pos = skipPast(lt + 4, '-->', 'comment');
    else if (text.startsWith('<![CDATA[', lt)) pos = skipPast(lt + 9, ']]>', 'CDATA section');
    else if (text.startsWith('<?', lt)) pos = skipPast(lt + 2, '?>', 'processing instruction');
    else if (text.startsWith('<!', lt)) pos = skipPast(lt + 2, '>', 'declaration');
    else if (text.startsWith('</', lt)) {
      const m = /^<\/\s*([^\s>]+)\s*>/.exec(text.slice(lt, lt + 256));
      if (!m) fail(lt, 'bad closing tag');
      const open = stack.pop();
      if (!open) fail(lt, `closing tag </${m![1]}> without an opening tag`);
      if (open!.name !== m![1]) fail(lt, `</${m![1]}> closes <${open!.name}> opened at line ${open!.line}`);
      pos = lt + m![0].length;
    } else {
      pos = readStartTag(lt);
    }
  }
  if (stack.length) fail(text.length, `<${stack[stack.length - 1].name}> opened at line ${stack[stack.length - 1].line} is never closed`);
  if (!root) fail(0, 'no root element');
  return root!;

  function readStartTag(lt: number): number {
    const nameMatch = /^<([A-Za-z_:][\w:.-]*)/.exec(text.slice(lt, lt + 256));
    if (!nameMatch) fail(lt, `unexpected '<'`);
    const element: XmlElement = { name: nameMatch![1], attributes: {}, children: [], line: lineAt(lt) };
    let i = lt + nameMatch![0].length;
    for (;;) {
      while (i < text.length && /\s/.test(text[i])) i++;
      if (i >= text.length) fail(lt, `unterminated tag <${element.name}>`);
      if (text.startsWith('/>', i)) {
        attach(element, lt);
        return i + 2;
      }
      if (text[i] === '>') {
        attach(element, lt);
        stack.push(element);
        return i + 1;
      }
      const attr = /^([^\s=/>]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/.exec(text.slice(i, i + 4096));
      if (!attr || !attr[0]) fail(i, `bad attribute in <${element.name}>`);
      element.attributes[attr![1]] = decodeEntities(attr![2] ?? attr![3] ?? attr![4] ?? '');
      i += attr![0].length;
    }
  }

  function attach(element: XmlElement, at: number): void {
    if (stack.length) stack[stack.length - 1].children.push(element);
    else if (root) fail(at, `second root element <${element.name}>`);
    else root = element;
  }
}

/** Direct children of `element` named `name`. */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}

/** The first direct child named `name`, if any. */
export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}
