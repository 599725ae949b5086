/** One text of a corpus. Parallel texts (translations of each other) share `id` across languages. */
export interface CorpusText {
  lang: string;
  id: string;
  text: string;
}
