/**
 * Where the workbench's lens takes token labels from for a model: a labelled sample the model folder
 * carries (`heldout.jsonl`, as the bundled code model does: its programming languages), else the UDHR in
 * every language the labeller knows. The sample is read once per version of the file (its identity,
 * size and change times), not at every lens call.
 */
import { join } from 'node:path';
import { fileStamp } from '../fs/file-stamp.js';
import type { CorpusText } from '../../shared/corpus-text.js';
import { DEFAULT_LABEL_LANGUAGES, loadCorpus, type CorpusSource } from '../api/index.js';

/** A model's label corpus. */
export interface LabelCorpus {
  /** Where the labels come from, in words. */
  corpus: string;
  /** The languages it labels, in its order. */
  languages: string[];
  /** The label corpus in these languages: a UDHR source, or the model's own sample's texts of them. */
  texts(languages: readonly string[]): CorpusSource;
}

const UDHR: LabelCorpus = { corpus: 'UDHR', languages: [...DEFAULT_LABEL_LANGUAGES], texts: (languages) => `udhr:${languages.join(',')}` };

export class LabelCorpora {
  private readonly samples = new Map<string, { stamp: string; texts: CorpusText[] }>();

  /** `read`: how a sample file is read (`loadCorpus`; a test counts the reads). */
  constructor(private readonly read: (path: string) => Promise<CorpusText[]> = (path) => loadCorpus(path)) {}

  async of(dir: string): Promise<LabelCorpus> {
    const path = join(dir, 'heldout.jsonl');
    const stamp = await fileStamp(path).catch(() => null);
    if (stamp === null) {
      this.samples.delete(path);
      return UDHR;
    }
    let sample = this.samples.get(path);
    if (sample?.stamp !== stamp) this.samples.set(path, (sample = { stamp, texts: await this.read(path) }));
    const texts = sample.texts;
    return {
      corpus: 'heldout.jsonl in the model folder',
      languages: [...new Set(texts.map((t) => t.lang))],
      texts: (languages) => {
        const wanted = new Set(languages);
        return texts.filter((t) => wanted.has(t.lang));
      },
    };
  }
}
