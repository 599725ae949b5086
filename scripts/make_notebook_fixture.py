"""Writes test/fixtures/notebooks/jupyter-written.ipynb with Jupyter's own nbformat library: a TypeScript
(Babelscope) notebook with a markdown cell carrying an attachment, a raw cell, other tools' metadata at every
level, and outputs, so the round-trip test can show Babelscope keeps all of it.
Run with /usr/bin/python3 (Debian's python3-nbformat); then execute it with
`jupyter nbconvert --execute --to notebook --inplace` (kernelspec installed by `babelscope kernel install`)."""
import sys
import nbformat
from nbformat import v4

PNG_1x1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='

nb = v4.new_notebook()
nb.metadata = {
    'kernelspec': {'name': 'babelscope', 'display_name': 'TypeScript (Babelscope)', 'language': 'typescript'},
    'language_info': {'name': 'typescript', 'file_extension': '.ts'},
    'authors': [{'name': 'A. Researcher'}],
    'vscode': {'interpreter': {'hash': 'abc123'}},
    'jupytext': {'formats': 'ipynb,ts:percent'},
}
md = v4.new_markdown_cell('# Round trip\n\n![logo](attachment:logo.png)', metadata={'tags': ['intro'], 'editable': False})
md.attachments = {'logo.png': {'image/png': PNG_1x1}}
raw = v4.new_raw_cell('\\begin{equation} x^2 \\end{equation}', metadata={'format': 'text/latex', 'raw_mimetype': 'text/latex'})
code1 = v4.new_code_cell('const greeting: string = "hello"\nconsole.log(greeting)\ngreeting.length',
                         metadata={'tags': ['parameters'], 'collapsed': False, 'scrolled': True,
                                   'jupyter': {'source_hidden': False}, 'papermill': {'duration': 0.5}, 'custom_tool': {'keep': [1, 2, 3]}})
code2 = v4.new_code_cell('display.html("<i>rich</i>")\ndisplay({ data: [{ type: "scatter", x: [1, 2, 3], y: [2, 1, 3] }], layout: { title: { text: "t" } } })',
                         metadata={'execution': {'iopub.execute_input': '2026-01-01T00:00:00Z'}})
md2 = v4.new_markdown_cell('Closing words with a *foreign* key.', metadata={'slideshow': {'slide_type': 'slide'}})
nb.cells = [md, raw, code1, code2, md2]
nbformat.validate(nb)
nbformat.write(nb, sys.argv[1])
