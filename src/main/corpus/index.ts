export type { CorpusLimits, CountTokens } from './types.js';
export { readJsonlCorpus } from './jsonl.js';
export { readUdhr, udhrFile, udhrCodes, UDHR_SHORT_CODES, DEFAULT_LABEL_LANGUAGES } from './udhr.js';
export { parseUdhrHtml, type UdhrParagraph } from './udhr-html.js';
export { limitPerLang } from './limits.js';
export { parseCorpusSpec, openCorpus, readCorpus, type CorpusSpec } from './spec.js';
