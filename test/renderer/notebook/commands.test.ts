/** The notebook's command table: keys → commands in each mode, sequences, no key bound twice, the toolbar's ids. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CommandRegistry, normaliseKeys, strokeName, type KeyMode, type KeyStroke } from '../../../src/renderer/notebook/commands.js';
import { NOTEBOOK_COMMANDS, notebookCommands, type CommandContext, type NotebookActions } from '../../../src/renderer/notebook/notebook-commands.js';
import { repoRoot } from '../../helpers/paths.js';

/** A press as a KeyboardEvent reports it: `Shift+M` arrives as key "M" with shift. */
function press(spec: string): KeyStroke {
  const parts = spec.split('+');
  const key = parts.pop()!;
  return { key, shift: parts.includes('Shift'), mod: parts.includes('Ctrl'), alt: parts.includes('Alt') };
}

/** The notebook as the commands see it, recording what they call. */
function fakeNotebook(canSplit = true): { nb: NotebookActions; calls: string[] } {
  const calls: string[] = [];
  const rec =
    (name: string) =>
    (...args: unknown[]) => {
      calls.push(`${name}(${args.map((a) => JSON.stringify(a)).join(',')})`);
      return Promise.resolve();
    };
  const nb = {
    selected: 3,
    canSplit,
    ...Object.fromEntries(
      ['select', 'edit', 'command', 'runCell', 'runAndAdvance', 'runAll', 'runAbove', 'runBelow', 'insert', 'remove', 'undoDelete', 'move', 'split', 'mergeBelow', 'setType', 'interrupt', 'restart', 'save', 'saveAs'].map((n) => [n, rec(n)]),
    ),
  } as unknown as NotebookActions;
  return { nb, calls };
}

/** Presses keys in a mode; the ids of the commands they run ('…' for a sequence begun, '-' for nothing). */
function keys(registry: CommandRegistry<CommandContext>, mode: KeyMode, presses: string[], ctx: CommandContext): string[] {
  return presses.map((p) => {
    const r = registry.resolve(mode, press(p), ctx);
    if (r.kind !== 'run') return r.kind === 'pending' ? '…' : '-';
    void r.command.run(ctx);
    return r.command.id;
  });
}

describe('the notebook command table', () => {
  it('resolves Jupyter’s command-mode keys to commands that act on the selected cell', () => {
    const { nb, calls } = fakeNotebook();
    const ctx = { nb, at: 3 };
    const registry = notebookCommands();
    assert.deepEqual(keys(registry, 'command', ['Enter', 'Shift+Enter', 'Ctrl+Enter', 'ArrowUp', 'k', 'ArrowDown', 'j', 'a', 'b', 'm', 'y', 'Shift+M', 'z'], ctx), [
      'edit-mode',
      'run',
      'run-cell',
      'select-above',
      'select-above',
      'select-below',
      'select-below',
      'insert-above',
      'insert-below',
      'to-markdown',
      'to-code',
      'merge',
      'undo-delete',
    ]);
    assert.deepEqual(calls, ['edit(3)', 'runAndAdvance(3)', 'runCell(3)', 'select(2)', 'select(2)', 'select(4)', 'select(4)', 'insert("above","code",false)', 'insert("below","code",false)', 'setType("markdown")', 'setType("code")', 'mergeBelow()', 'undoDelete()']);
  });

  it('takes D, D and I, I and 0, 0 as sequences; another key in between ends the sequence', () => {
    const { nb } = fakeNotebook();
    const ctx = { nb, at: 0 };
    const registry = notebookCommands();
    assert.deepEqual(keys(registry, 'command', ['d', 'd'], ctx), ['…', 'delete']);
    assert.deepEqual(keys(registry, 'command', ['i', 'i', '0', '0'], ctx), ['…', 'interrupt', '…', 'restart']);
    assert.deepEqual(keys(registry, 'command', ['d', 'x', 'd', 'd'], ctx), ['…', '-', '…', 'delete']);
    assert.deepEqual(keys(registry, 'command', ['d', 'z'], ctx), ['…', 'undo-delete'], 'Z after one D is Z');
    assert.deepEqual(keys(registry, 'command', ['d', 'i', 'i'], ctx), ['…', '…', 'interrupt']);
    // A key in the editor does not end a command-mode sequence (nor does it start one).
    assert.deepEqual(keys(registry, 'command', ['d'], ctx), ['…']);
    assert.deepEqual(keys(registry, 'edit', ['d'], ctx), ['-']);
    assert.deepEqual(keys(registry, 'command', ['d'], ctx), ['delete']);
  });

  it('edit mode: the editor’s keys act on the editor’s cell; Save is global; a split needs an editor', async () => {
    const { nb, calls } = fakeNotebook();
    const registry = notebookCommands();
    assert.deepEqual(keys(registry, 'edit', ['Shift+Enter', 'Ctrl+Enter', 'Escape', 'Ctrl+Shift+-', 'Ctrl+s', 'Enter', 'b'], { nb, at: 7 }), ['run', 'run-cell', 'command-mode', 'split', 'save', '-', '-']);
    assert.deepEqual(calls, ['runAndAdvance(7)', 'runCell(7)', 'command()', 'split()', 'save()']);
    assert.deepEqual(keys(registry, 'global', ['Ctrl+s', 'Ctrl+Shift+S', 'b', 'Enter'], { nb, at: 0 }), ['save', 'save-as', '-', '-']);
    assert.deepEqual(keys(registry, 'edit', ['Ctrl+Shift+-'], { nb: fakeNotebook(false).nb, at: 0 }), ['-'], 'no editor: the key is left to others');
    // Alt+Enter runs, then inserts a cell below once the run is done.
    const alt = fakeNotebook();
    const r = registry.resolve('edit', press('Alt+Enter'), { nb: alt.nb, at: 2 });
    assert.equal(r.kind === 'run' && r.command.id, 'run-and-insert');
    if (r.kind === 'run') await r.command.run({ nb: alt.nb, at: 2 });
    assert.deepEqual(alt.calls, ['runCell(2)', 'insert("below")']);
  });

  it('binds no key twice in one mode, and no key both alone and as the start of a sequence', () => {
    for (const mode of ['global', 'command', 'edit'] as const) {
      const seen = new Map<string, string>();
      for (const c of NOTEBOOK_COMMANDS)
        for (const k of c.keys[mode] ?? []) {
          const norm = normaliseKeys(k);
          assert.ok(!seen.has(norm) || seen.get(norm) === c.id, `${norm} in ${mode}: ${seen.get(norm)} and ${c.id}`);
          seen.set(norm, c.id);
        }
    }
    assert.equal(new Set(NOTEBOOK_COMMANDS.map((c) => c.id)).size, NOTEBOOK_COMMANDS.length, 'ids are unique');
    const run = () => {};
    assert.throws(() => new CommandRegistry([{ id: 'a', label: 'A', keys: { command: ['Shift+Enter'] }, run }, { id: 'b', label: 'B', keys: { command: ['Shift+Enter'] }, run }]), /Shift\+Enter is bound twice in command mode: a and b/);
    assert.throws(() => new CommandRegistry([{ id: 'a', label: 'A', keys: { command: ['x'] }, run }, { id: 'b', label: 'B', keys: { command: ['X'] }, run }]), /X is bound twice/);
    assert.throws(() => new CommandRegistry([{ id: 'a', label: 'A', keys: { command: ['D'] }, run }, { id: 'b', label: 'B', keys: { command: ['D D'] }, run }]), /D in command mode is both a and the start of a sequence/);
    assert.throws(() => new CommandRegistry([{ id: 'a', label: 'A', keys: { global: ['Mod+S'] }, run }, { id: 'b', label: 'B', keys: { edit: ['Mod+S'] }, run }]), /Mod\+S is global \(a\) and bound to b in edit mode/);
    assert.throws(() => new CommandRegistry([{ id: 'a', label: 'A', keys: {}, run }, { id: 'a', label: 'A', keys: {}, run }]), /declared twice/);
  });

  it('writes keys one way: modifiers in order, letters upper case', () => {
    assert.equal(normaliseKeys('Shift+Mod+s'), 'Mod+Shift+S');
    assert.equal(normaliseKeys('d  d'), 'D D');
    assert.equal(normaliseKeys('Mod++'), 'Mod++');
    assert.equal(strokeName(press('Ctrl+Alt+Shift+ArrowUp')), 'Mod+Alt+Shift+ArrowUp');
    assert.throws(() => normaliseKeys('Hyper+X'), /unknown modifier Hyper/);
  });

  it('makes the shortcut text from the table', () => {
    const registry = notebookCommands();
    assert.equal(registry.keyText('delete'), 'D, D');
    assert.equal(registry.keyText('save'), 'Ctrl/⌘+S');
    assert.equal(registry.keyText('select-above'), 'ArrowUp or K');
    assert.equal(registry.keyText('run-all'), '');
  });

  it('every toolbar button of the page names a command of the table', () => {
    const html = readFileSync(join(repoRoot, 'src', 'renderer', 'index.html'), 'utf8');
    const acts = [...html.matchAll(/data-act="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(acts.length >= 10, `${acts.length} toolbar buttons`);
    const registry = notebookCommands();
    for (const id of acts) assert.ok(registry.get(id), `toolbar button ${id}`);
  });
});
