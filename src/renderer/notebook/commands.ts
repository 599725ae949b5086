/**
 * A command table, as JupyterLab's command registry: each command has an id, a label, the keys bound to
 * it in each mode and what it does; key presses are looked up in the table, and the shortcut text shown
 * to people comes from it. No DOM here (a key press is a `KeyStroke`), so the table is unit-tested.
 *
 * Keys are written as in JupyterLab: modifiers first (`Mod` is Ctrl, or ⌘ on a Mac), joined by `+`, the
 * key as `KeyboardEvent.key` names it with a letter in upper case (`Shift+Enter`, `Mod+Shift+-`, `Z`);
 * a space separates the strokes of a sequence (`D D`).
 */

/**
 * Where a binding applies: `command` (Jupyter's command mode: no editor or form field has the keyboard),
 * `edit` (a cell's editor has it), `global` (anywhere on the notebook page, checked before the others).
 */
export type KeyMode = 'command' | 'edit' | 'global';
export const KEY_MODES: readonly KeyMode[] = ['global', 'command', 'edit'];

export interface Command<C> {
  id: string;
  label: string;
  keys: Partial<Record<KeyMode, readonly string[]>>;
  run(context: C): void;
  /** When false, the command's keys are not taken (they go on to the editor or the page). */
  when?(context: C): boolean;
}

export interface KeyStroke {
  key: string;
  shift: boolean;
  /** Ctrl or ⌘. */
  mod: boolean;
  alt: boolean;
}

/** A stroke in the table's notation: `Mod+Shift+Enter`, `A`. */
export function strokeName(s: KeyStroke): string {
  const key = s.key.length === 1 ? s.key.toUpperCase() : s.key;
  return [s.mod && 'Mod', s.alt && 'Alt', s.shift && 'Shift', key].filter(Boolean).join('+');
}

/** A binding written in the table, normalised (modifier order, letter case) so that lookups and duplicate checks agree. */
export function normaliseKeys(keys: string): string {
  return keys
    .trim()
    .split(/\s+/)
    .map((stroke) => {
      const parts = stroke.split('+');
      // `Mod+Shift+-`, and `Mod++` for the plus key itself.
      const key = stroke.endsWith('++') ? '+' : parts.pop()!;
      const mods = new Set(stroke.endsWith('++') ? parts.slice(0, -2) : parts);
      for (const m of mods) if (!['Mod', 'Alt', 'Shift'].includes(m)) throw new Error(`unknown modifier ${m} in "${keys}"`);
      return strokeName({ key, mod: mods.has('Mod'), alt: mods.has('Alt'), shift: mods.has('Shift') });
    })
    .join(' ');
}

export type KeyResult<C> = { kind: 'run'; command: Command<C> } | { kind: 'pending' } | { kind: 'none' };

/**
 * The table with its key map. Construction fails on a key bound twice in one mode (or in `global` and
 * another mode to different commands), and on a key that is both a binding and the start of a sequence.
 */
export class CommandRegistry<C> {
  private readonly byId = new Map<string, Command<C>>();
  private readonly bindings = new Map<KeyMode, Map<string, Command<C>>>();
  private readonly prefixes = new Map<KeyMode, Set<string>>();
  /** The first stroke of a sequence, while the next one is awaited. */
  private pending: { mode: KeyMode; stroke: string } | null = null;

  constructor(readonly commands: readonly Command<C>[]) {
    for (const mode of KEY_MODES) {
      this.bindings.set(mode, new Map());
      this.prefixes.set(mode, new Set());
    }
    for (const c of commands) {
      if (this.byId.has(c.id)) throw new Error(`command ${c.id} is declared twice`);
      this.byId.set(c.id, c);
      for (const mode of KEY_MODES)
        for (const written of c.keys[mode] ?? []) {
          const keys = normaliseKeys(written);
          const taken = this.bindings.get(mode)!.get(keys);
          if (taken) throw new Error(`${keys} is bound twice in ${mode} mode: ${taken.id} and ${c.id}`);
          this.bindings.get(mode)!.set(keys, c);
          const strokes = keys.split(' ');
          if (strokes.length > 2) throw new Error(`${keys}: sequences of more than two strokes are not supported`);
          if (strokes.length === 2) this.prefixes.get(mode)!.add(strokes[0]!);
        }
    }
    for (const mode of KEY_MODES) {
      for (const prefix of this.prefixes.get(mode)!) {
        const single = this.bindings.get(mode)!.get(prefix);
        if (single) throw new Error(`${prefix} in ${mode} mode is both ${single.id} and the start of a sequence`);
      }
      if (mode === 'global') continue;
      for (const [keys, c] of this.bindings.get('global')!) {
        const other = this.bindings.get(mode)!.get(keys);
        if (other && other !== c) throw new Error(`${keys} is global (${c.id}) and bound to ${other.id} in ${mode} mode`);
      }
    }
  }

  get(id: string): Command<C> | undefined {
    return this.byId.get(id);
  }

  /** The keys of a command for people (`Shift+Enter`, `D, D`), all modes, first binding first. */
  keyText(id: string): string {
    const c = this.byId.get(id);
    if (!c) return '';
    const all = [...new Set(KEY_MODES.flatMap((m) => (c.keys[m] ?? []).map(normaliseKeys)))];
    return all.map((k) => k.split(' ').map((s) => s.replace(/^Mod\b/, 'Ctrl/⌘')).join(', ')).join(' or ');
  }

  /**
   * Looks a stroke up in a mode: a command to run (its `when` holds), the first stroke of a sequence
   * (`pending`: the caller takes the key), or nothing. Any stroke ends a sequence in waiting.
   */
  resolve(mode: KeyMode, stroke: KeyStroke, context: C): KeyResult<C> {
    const name = strokeName(stroke);
    const pending = this.pending?.mode === mode ? this.pending.stroke : null;
    const table = this.bindings.get(mode)!;
    if (pending !== null) {
      const seq = table.get(`${pending} ${name}`);
      if (seq) {
        this.pending = null;
        return this.found(seq, context);
      }
    }
    if (this.prefixes.get(mode)!.has(name)) {
      this.pending = { mode, stroke: name };
      return { kind: 'pending' };
    }
    if (this.pending?.mode === mode) this.pending = null;
    const c = table.get(name);
    return c ? this.found(c, context) : { kind: 'none' };
  }

  private found(c: Command<C>, context: C): KeyResult<C> {
    return c.when && !c.when(context) ? { kind: 'none' } : { kind: 'run', command: c };
  }
}
