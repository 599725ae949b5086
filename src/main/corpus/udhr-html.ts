/** A paragraph of the UDHR: `id` is `"{article}.{k}"`, article 0 being the preamble, k counting from 1. */
export interface UdhrParagraph {
  id: string;
  text: string;
}

/**
 * The preamble's seven "Whereas" recitals are one paragraph each in every complete translation, but
 * the closing proclamation is split into one to four paragraphs depending on the translator; it is
 * joined into paragraph 0.8 so that preamble ids stay aligned across languages.
 */
const PREAMBLE_RECITALS = 7;

/**
 * Reads the paragraphs of one `udhr/declaration/*.html` file: `<header>` holds the preamble `<p>`s,
 * each `<article data-number="N">` its `<p>`s (possibly inside `<ol><li>`); headings are skipped.
 */
export function parseUdhrHtml(html: string): UdhrParagraph[] {
  const sections = new Map<number, string[]>();
  let section: number | null = null;
  let buffer: string | null = null; // text of the open <p> (or of an <li> without <p>)
  let liText: string | null = null;
  let liHasParagraph = false;

  const push = (raw: string) => {
    const text = raw.replace(/\s+/g, ' ').trim();
    if (section === null || text === '') return;
    let list = sections.get(section);
    if (!list) sections.set(section, (list = []));
    list.push(text);
  };

  for (const match of html.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>|([^<]+)/g)) {
    const [, closing, rawTag, attributes, text] = match;
    if (text !== undefined) {
      if (buffer !== null) buffer += decodeEntities(text);
      else if (liText !== null) liText += decodeEntities(text);
      continue;
    }
    const tag = rawTag!.toLowerCase();
    const open = closing === '';
    if (tag === 'header') section = open ? 0 : null;
    else if (tag === 'article') section = open ? articleNumber(attributes ?? '') : null;
    else if (section === null) continue;
    else if (tag === 'p') {
      if (open) {
        buffer = '';
        if (liText !== null) liHasParagraph = true;
      } else if (buffer !== null) {
        push(buffer);
        buffer = null;
      }
    } else if (tag === 'li') {
      if (open) {
        liText = '';
        liHasParagraph = false;
      } else {
        if (!liHasParagraph && liText !== null) push(liText);
        liText = null;
      }
    }
  }

  const paragraphs: UdhrParagraph[] = [];
  for (const number of [...sections.keys()].sort((a, b) => a - b)) {
    let texts = sections.get(number)!;
    if (number === 0 && texts.length > PREAMBLE_RECITALS + 1) {
      texts = [...texts.slice(0, PREAMBLE_RECITALS), texts.slice(PREAMBLE_RECITALS).join(' ')];
    }
    texts.forEach((text, k) => paragraphs.push({ id: `${number}.${k + 1}`, text }));
  }
  return paragraphs;
}

function articleNumber(attributes: string): number | null {
  const match = /data-number\s*=\s*"(\d+)"/.exec(attributes);
  return match ? Number(match[1]) : null;
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[body] ?? whole;
  });
}
