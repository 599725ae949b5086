/** Generated text after its prompt, and the way back from a character to its token, on the bundled tokenizer. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { continuationText, tokenIndexAtChar } from '../../../src/main/pipelines/continuation.js';
import { Tokenizer } from '../../../src/main/model/tokenizer.js';
import { testModelDir } from '../../helpers/fixtures.js';

const tokenizer = Tokenizer.fromFile(join(testModelDir, 'tokenizer.json'));
const ids = async (text: string, special = false) => (await tokenizer.encode(text, special)).ids;

describe('continuation text', () => {
  it('keeps the leading space of the first generated token', async () => {
    const prompt = await ids('Everyone has the right', true);
    const gen = await ids('to freedom'); // '▁to', '▁freedom'
    assert.equal((await continuationText(tokenizer, prompt, gen)).text, ' to freedom');
    assert.equal(await tokenizer.decode(gen), 'to freedom', 'decoding the generated ids alone loses the space');
  });

  it('completes a character whose bytes began in the prompt', async () => {
    const all = await ids('人人鑫 freedom', true); // … <0xE9> <0x91> <0xAB> ▁freedom
    const cut = all.length - 3; // the prompt ends after the first byte of 鑫
    const c = await continuationText(tokenizer, all.slice(0, cut), all.slice(cut));
    assert.equal(c.text, '鑫 freedom');
  });

  it('maps a character back to its token despite byte-fallback pieces before it', async () => {
    const prompt = await ids('Everyone', true);
    const gen = await ids('鑫鑫 right'); // '▁' + 2 × 3 byte pieces + '▁right'
    const { text } = await continuationText(tokenizer, prompt, gen);
    assert.equal(text, ' 鑫鑫 right');
    const right = gen.length - 1;
    assert.equal(await tokenIndexAtChar(tokenizer, prompt, gen, text.indexOf('right')), right);
    assert.equal(await tokenIndexAtChar(tokenizer, prompt, gen, text.indexOf('鑫') + 1), 6, 'the second 鑫 is complete at its third byte');
    assert.equal(await tokenIndexAtChar(tokenizer, prompt, gen, 99), null);
  });

});
