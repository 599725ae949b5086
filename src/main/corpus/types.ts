/** Counts the tokens of a text (the model's tokenizer); may be async. */
export type CountTokens = (text: string, lang: string) => number | Promise<number>;

export interface CorpusLimits {
  /** Keep at most this many texts of each language (the first ones, in corpus order). */
  maxTextsPerLang?: number;
  /**
   * Keep texts of a language, in corpus order, while their token total stays within this budget;
   * the first text that would exceed it ends that language. Needs `countTokens`.
   */
  maxTokensPerLang?: number;
  countTokens?: CountTokens;
}
