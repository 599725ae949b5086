/**
 * The notebook's commands: Jupyter's keys in command and edit mode, and the toolbar's buttons (whose
 * `data-act` is a command id and whose tooltip is made from the label and keys here).
 */
import type { CellType } from '../../shared/notebook-doc.js';
import { CommandRegistry, type Command } from './commands.js';

/** What the commands act on: the notebook view. */
export interface NotebookActions {
  readonly selected: number;
  select(index: number): void;
  edit(index: number): void;
  command(): void;
  runCell(index: number): Promise<void>;
  runAndAdvance(index: number): Promise<void>;
  runAll(): Promise<void>;
  runAbove(): Promise<void>;
  runBelow(): Promise<void>;
  insert(where: 'above' | 'below', type?: CellType, edit?: boolean): void;
  remove(): void;
  undoDelete(): void;
  move(by: -1 | 1): void;
  split(): void;
  /** Whether the selected cell has an editor (where a split can be). */
  readonly canSplit: boolean;
  mergeBelow(): void;
  setType(type: CellType): void;
  interrupt(): Promise<void>;
  restart(): Promise<void>;
  save(): Promise<void>;
  saveAs(): Promise<void>;
}

export interface CommandContext {
  nb: NotebookActions;
  /** The cell the command is for: the one whose editor has the keyboard, else the selected one. */
  at: number;
}

export type NotebookCommand = Command<CommandContext>;

export const NOTEBOOK_COMMANDS: readonly NotebookCommand[] = [
  { id: 'save', label: 'Save', keys: { global: ['Mod+S'], edit: ['Mod+S'] }, run: ({ nb }) => nb.save() },
  { id: 'save-as', label: 'Save as', keys: { global: ['Mod+Shift+S'] }, run: ({ nb }) => nb.saveAs() },
  { id: 'command-mode', label: 'Leave the editor (command mode)', keys: { edit: ['Escape'] }, run: ({ nb }) => nb.command() },
  { id: 'edit-mode', label: 'Edit the cell', keys: { command: ['Enter'] }, run: ({ nb, at }) => nb.edit(at) },
  { id: 'run', label: 'Run the cell and advance', keys: { command: ['Shift+Enter'], edit: ['Shift+Enter'] }, run: ({ nb, at }) => nb.runAndAdvance(at) },
  { id: 'run-cell', label: 'Run the cell', keys: { command: ['Mod+Enter'], edit: ['Mod+Enter'] }, run: ({ nb, at }) => nb.runCell(at) },
  { id: 'run-and-insert', label: 'Run the cell and insert one below', keys: { edit: ['Alt+Enter'] }, run: ({ nb, at }) => nb.runCell(at).then(() => nb.insert('below')) },
  { id: 'run-all', label: 'Run all cells', keys: {}, run: ({ nb }) => nb.runAll() },
  { id: 'run-above', label: 'Run the cells above', keys: {}, run: ({ nb }) => nb.runAbove() },
  { id: 'run-below', label: 'Run this cell and those below', keys: {}, run: ({ nb }) => nb.runBelow() },
  { id: 'select-above', label: 'Select the cell above', keys: { command: ['ArrowUp', 'K'] }, run: ({ nb }) => nb.select(nb.selected - 1) },
  { id: 'select-below', label: 'Select the cell below', keys: { command: ['ArrowDown', 'J'] }, run: ({ nb }) => nb.select(nb.selected + 1) },
  { id: 'insert-above', label: 'Insert a code cell above', keys: { command: ['A'] }, run: ({ nb }) => nb.insert('above', 'code', false) },
  { id: 'insert-below', label: 'Insert a code cell below', keys: { command: ['B'] }, run: ({ nb }) => nb.insert('below', 'code', false) },
  { id: 'add-code', label: 'Insert a code cell below and edit it', keys: {}, run: ({ nb }) => nb.insert('below', 'code') },
  { id: 'add-markdown', label: 'Insert a Markdown cell below and edit it', keys: {}, run: ({ nb }) => nb.insert('below', 'markdown') },
  { id: 'to-markdown', label: 'Make the cell Markdown', keys: { command: ['M'] }, run: ({ nb }) => nb.setType('markdown') },
  { id: 'to-code', label: 'Make the cell code', keys: { command: ['Y'] }, run: ({ nb }) => nb.setType('code') },
  { id: 'delete', label: 'Delete the cell', keys: { command: ['D D'] }, run: ({ nb }) => nb.remove() },
  { id: 'undo-delete', label: 'Bring the last deleted cell back', keys: { command: ['Z'] }, run: ({ nb }) => nb.undoDelete() },
  { id: 'move-up', label: 'Move the cell up', keys: {}, run: ({ nb }) => nb.move(-1) },
  { id: 'move-down', label: 'Move the cell down', keys: {}, run: ({ nb }) => nb.move(1) },
  { id: 'split', label: 'Split the cell at the cursor', keys: { edit: ['Mod+Shift+-'] }, run: ({ nb }) => nb.split(), when: ({ nb }) => nb.canSplit },
  { id: 'merge', label: 'Merge with the cell below', keys: { command: ['Shift+M'] }, run: ({ nb }) => nb.mergeBelow() },
  { id: 'interrupt', label: 'Interrupt the kernel', keys: { command: ['I I'] }, run: ({ nb }) => nb.interrupt() },
  { id: 'restart', label: 'Restart the kernel: its state is cleared', keys: { command: ['0 0'] }, run: ({ nb }) => nb.restart() },
];

export function notebookCommands(): CommandRegistry<CommandContext> {
  return new CommandRegistry(NOTEBOOK_COMMANDS);
}
