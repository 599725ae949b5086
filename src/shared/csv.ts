/**
 * CSV as Python's `csv` module and pandas write it (RFC 4180): quoted fields may hold commas, doubled
 * quotes and line breaks; CRLF, CR and LF all end a record; a leading BOM is dropped; blank lines are
 * skipped. One reader for LCB's completions files and the latent-language word lists.
 */
import { UserError } from './errors.js';

/** The records of a CSV text; throws a UserError when it ends inside a quoted field. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  const endRecord = (): void => {
    record.push(field);
    if (!(record.length === 1 && record[0] === '')) records.push(record);
    record = [];
    field = '';
  };
  for (let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
    } else field += c;
  }
  if (quoted) throw new UserError('the CSV ends inside a quoted field', 'A field that opens with " must close with ".');
  if (field !== '' || record.length > 0) endRecord();
  return records;
}
