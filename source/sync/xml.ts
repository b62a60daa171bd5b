// A small XML reader for repo manifests: elements, attributes, comments, declarations and entities.
// Manifests carry no text content that matters, so text between elements is ignored.

export type XmlElement = {
	name: string;
	attributes: Record<string, string>;
	children: XmlElement[];
	/** 1-based line of the element's start tag, for error messages. */
	line: number;
};

export class XmlError extends Error {
	constructor(
		message: string,
		readonly line: number,
	) {
		super(`${message} (line ${line})`);
	}
}

const entities: Record<string, string> = {amp: '&', lt: '<', gt: '>', quot: '"', apos: "'"};

function decode(text: string, line: number): string {
	return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, body: string) => {
		if (body.startsWith('#x')) return String.fromCodePoint(Number.parseInt(body.slice(2), 16));
		if (body.startsWith('#')) return String.fromCodePoint(Number.parseInt(body.slice(1), 10));
		const value = entities[body];
		if (value === undefined) throw new XmlError(`unknown entity ${whole}`, line);
		return value;
	});
}

/** Parses a document and returns its root element. */
export function parseXml(text: string): XmlElement {
	let index = 0;
	let line = 1;
	const advance = (to: number) => {
		for (let i = index; i < to; i++) if (text.charCodeAt(i) === 10) line++;
		index = to;
	};
	const stack: XmlElement[] = [];
	let root: XmlElement | undefined;
	while (index < text.length) {
		const open = text.indexOf('<', index);
		if (open === -1) {
			advance(text.length);
			break;
		}
		advance(open);
		if (text.startsWith('<!--', index)) {
			const end = text.indexOf('-->', index + 4);
			if (end === -1) throw new XmlError('unterminated comment', line);
			advance(end + 3);
			continue;
		}
		if (text.startsWith('<?', index)) {
			const end = text.indexOf('?>', index + 2);
			if (end === -1) throw new XmlError('unterminated declaration', line);
			advance(end + 2);
			continue;
		}
		if (text.startsWith('<![CDATA[', index)) {
			const end = text.indexOf(']]>', index);
			if (end === -1) throw new XmlError('unterminated CDATA section', line);
			advance(end + 3);
			continue;
		}
		if (text.startsWith('<!', index)) {
			const end = text.indexOf('>', index);
			if (end === -1) throw new XmlError('unterminated doctype', line);
			advance(end + 1);
			continue;
		}
		if (text.startsWith('</', index)) {
			const end = text.indexOf('>', index);
			if (end === -1) throw new XmlError('unterminated end tag', line);
			const name = text.slice(index + 2, end).trim();
			const current = stack.pop();
			if (!current || current.name !== name) {
				throw new XmlError(`</${name}> does not close ${current ? `<${current.name}>` : 'any element'}`, line);
			}
			advance(end + 1);
			continue;
		}
		// A start tag: name, attributes, optional "/".
		const startLine = line;
		let cursor = index + 1;
		const nameMatch = /^[A-Za-z_][\w.:-]*/.exec(text.slice(cursor, cursor + 200));
		if (!nameMatch) throw new XmlError('malformed tag', line);
		const element: XmlElement = {name: nameMatch[0], attributes: {}, children: [], line: startLine};
		cursor += nameMatch[0].length;
		let selfClosing = false;
		for (;;) {
			while (cursor < text.length && /\s/.test(text[cursor]!)) cursor++;
			if (cursor >= text.length) throw new XmlError(`unterminated <${element.name}>`, startLine);
			if (text[cursor] === '>') {
				cursor++;
				break;
			}
			if (text.startsWith('/>', cursor)) {
				selfClosing = true;
				cursor += 2;
				break;
			}
			const attribute = /^([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/.exec(text.slice(cursor, cursor + 4096));
			if (!attribute) throw new XmlError(`malformed attribute in <${element.name}>`, startLine);
			const name = attribute[1]!;
			if (name in element.attributes) throw new XmlError(`duplicate attribute ${name} in <${element.name}>`, startLine);
			element.attributes[name] = decode(attribute[3] ?? attribute[4] ?? '', startLine);
			cursor += attribute[0].length;
		}
		advance(cursor);
		const parent = stack.at(-1);
		if (parent) parent.children.push(element);
		else if (root) throw new XmlError('more than one root element', startLine);
		else root = element;
		if (!selfClosing) stack.push(element);
	}
	if (stack.length > 0) throw new XmlError(`<${stack.at(-1)!.name}> is never closed`, stack.at(-1)!.line);
	if (!root) throw new XmlError('no root element', line);
	return root;
}
