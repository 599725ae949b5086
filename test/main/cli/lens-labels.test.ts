/** `lens --languages` labels against every language the labeller knows, and says when the labels miss the text's own. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { tinyModelDir } from '../../helpers/paths.js';

const GERMAN = 'Jeder hat das Recht auf Bildung.';
type Lens = { labelWarnings: string[]; tokensPerLabel: Record<string, number>; layers: { positions: { languageMass: Record<string, number> }[] }[] };

/** Mean mass of `label` per layer over the positions after `<s>`. */
const meanMass = (j: Lens, label: string) => j.layers.map((l) => l.positions.slice(1).reduce((s, p) => s + p.languageMass[label]!, 0) / (l.positions.length - 1));

describe('lens --languages on the trained bundled model', () => {
  it('alone, labels against every UDHR language: a German sentence shows German mass, not English, and no warning', async () => {
    const r = await runCli(['lens', tinyModelDir, '--text', GERMAN, '--top', '1', '--languages', '--json', '--device', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as Lens;
    for (const l of ['eng', 'deu', 'fra', 'spa', 'rus', 'ell', 'arb', 'hin', 'kor', 'cmn', 'jpn', 'tur', 'ukr']) assert.ok(l in j.tokensPerLabel, `${l} is a label`);
    assert.deepEqual(j.labelWarnings, []);
    assert.doesNotMatch(r.stderr, /warning/);
    const deu = meanMass(j, 'deu');
    const eng = meanMass(j, 'eng');
    for (let layer = 1; layer < deu.length; layer++) assert.ok(deu[layer]! > 0.4 && eng[layer]! < 0.1, `layer ${layer}: deu ${deu[layer]} eng ${eng[layer]}`);
  });

  it('with labels that leave German out, English takes its mass and a warning names the gap (stderr and JSON)', async () => {
    const r = await runCli(['lens', tinyModelDir, '--text', GERMAN, '--top', '1', '--languages', 'udhr:eng,rus,cmn', '--json', '--device', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as Lens;
    assert.equal(j.labelWarnings.length, 1);
    assert.match(j.labelWarnings[0]!, /looks like deu .* not among the labels \(eng, rus, cmn\)/);
    assert.match(r.stderr, /^warning: The text looks like deu/m);
    assert.ok(meanMass(j, 'eng').slice(1).every((m) => m > 0.5), 'the misleading picture the warning is about');
  });

  it('with no label in the text\'s script, the warning names the script', async () => {
    const r = await runCli(['lens', tinyModelDir, '--text', GERMAN, '--top', '1', '--languages', 'udhr:rus,cmn', '--device', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: The text is written in Latin script, and no label \(rus, cmn\)/);
  });
});
