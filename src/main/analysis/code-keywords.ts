/**
 * Reserved words of programming languages, as optional *evidence* for the token → language rule on
 * code (programming languages have no script to go by). Lists follow each language's reference
 * (keywords, plus literal names such as `None`/`nil`/`true` that the language reserves); they are
 * case-sensitive. Keys are the language labels used by the bundled code model and its corpora.
 */

export const CODE_KEYWORDS: Readonly<Record<string, readonly string[]>> = {
  python: [
    'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del',
    'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal',
    'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield', 'self',
  ],
  go: [
    'break', 'case', 'chan', 'const', 'continue', 'default', 'defer', 'else', 'fallthrough', 'for', 'func', 'go',
    'goto', 'if', 'import', 'interface', 'map', 'package', 'range', 'return', 'select', 'struct', 'switch', 'type',
    'var', 'nil', 'true', 'false', 'iota',
  ],
  php: [
    'abstract', 'and', 'array', 'as', 'break', 'callable', 'case', 'catch', 'class', 'clone', 'const', 'continue',
    'declare', 'default', 'do', 'echo', 'else', 'elseif', 'empty', 'enddeclare', 'endfor', 'endforeach', 'endif',
    'endswitch', 'endwhile', 'extends', 'final', 'finally', 'fn', 'for', 'foreach', 'function', 'global', 'goto',
    'if', 'implements', 'include', 'include_once', 'instanceof', 'insteadof', 'interface', 'isset', 'list', 'match',
    'namespace', 'new', 'or', 'print', 'private', 'protected', 'public', 'readonly', 'require', 'require_once',
    'return', 'static', 'switch', 'throw', 'trait', 'try', 'unset', 'use', 'var', 'while', 'xor', 'yield', 'null',
    'true', 'false', '$this',
  ],
  cpp: [
    'alignas', 'alignof', 'auto', 'bool', 'break', 'case', 'catch', 'char', 'class', 'const', 'consteval', 'constexpr',
    'constinit', 'const_cast', 'continue', 'decltype', 'default', 'delete', 'do', 'double', 'dynamic_cast', 'else',
    'enum', 'explicit', 'export', 'extern', 'false', 'float', 'for', 'friend', 'goto', 'if', 'inline', 'int', 'long',
    'mutable', 'namespace', 'new', 'noexcept', 'nullptr', 'operator', 'private', 'protected', 'public', 'register',
    'reinterpret_cast', 'requires', 'return', 'short', 'signed', 'sizeof', 'static', 'static_assert', 'static_cast',
    'struct', 'switch', 'template', 'this', 'thread_local', 'throw', 'true', 'try', 'typedef', 'typeid', 'typename',
    'union', 'unsigned', 'using', 'virtual', 'void', 'volatile', 'while', 'std',
  ],
  rust: [
    'as', 'async', 'await', 'break', 'const', 'continue', 'crate', 'dyn', 'else', 'enum', 'extern', 'false', 'fn',
    'for', 'if', 'impl', 'in', 'let', 'loop', 'match', 'mod', 'move', 'mut', 'pub', 'ref', 'return', 'self', 'Self',
    'static', 'struct', 'super', 'trait', 'true', 'type', 'unsafe', 'use', 'where', 'while', 'Some', 'None', 'Ok',
    'Err',
  ],
  csharp: [
    'abstract', 'as', 'base', 'bool', 'break', 'byte', 'case', 'catch', 'char', 'checked', 'class', 'const', 'continue',
    'decimal', 'default', 'delegate', 'do', 'double', 'else', 'enum', 'event', 'explicit', 'extern', 'false', 'finally',
    'fixed', 'float', 'for', 'foreach', 'goto', 'if', 'implicit', 'in', 'int', 'interface', 'internal', 'is', 'lock',
    'long', 'namespace', 'new', 'null', 'object', 'operator', 'out', 'override', 'params', 'private', 'protected',
    'public', 'readonly', 'ref', 'return', 'sbyte', 'sealed', 'short', 'sizeof', 'stackalloc', 'static', 'string',
    'struct', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'uint', 'ulong', 'unchecked', 'unsafe', 'ushort',
    'using', 'var', 'virtual', 'void', 'volatile', 'while',
  ],
};

/**
 * keyword → the one language (among `languages`) whose list holds it; keywords of several of those
 * languages (`if`, `return`) are left out: they are evidence for no single language.
 */
export function exclusiveKeywords(
  languages: readonly string[],
  keywords: Readonly<Record<string, readonly string[]>> = CODE_KEYWORDS,
): Map<string, string> {
  const owners = new Map<string, Set<string>>();
  for (const lang of languages) {
    for (const k of keywords[lang] ?? []) owners.set(k, (owners.get(k) ?? new Set()).add(lang));
  }
  const out = new Map<string, string>();
  for (const [k, langs] of owners) if (langs.size === 1) out.set(k, [...langs][0]!);
  return out;
}

/** The shape of the token → language rule's pluggable evidence (`TokenEvidence`). */
export interface KeywordEvidence {
  readonly name: 'keywords';
  readonly covers: readonly string[];
  allowed(tokenId: number, text: string | null): readonly string[] | undefined;
}

/**
 * Keyword lists as evidence for the token → language rule: covers the corpus languages that have a
 * list. A token whose text (spaces and the `▁` marker trimmed) is a keyword may belong only to the
 * languages whose list holds it (`def` → python; `if` → all of them); any other token gets no opinion,
 * so identifiers, punctuation and comment words are left to the counts.
 */
export function keywordEvidence(
  languages: readonly string[],
  keywords: Readonly<Record<string, readonly string[]>> = CODE_KEYWORDS,
): KeywordEvidence {
  const covers = languages.filter((l) => keywords[l] !== undefined);
  const owners = new Map<string, string[]>();
  for (const lang of covers) for (const k of keywords[lang]!) owners.set(k, [...(owners.get(k) ?? []), lang]);
  return {
    name: 'keywords',
    covers,
    allowed(_id, text) {
      if (text === null) return undefined;
      return owners.get(text.replace(/^[\s\u2581]+|[\s\u2581]+$/gu, ''));
    },
  };
}
