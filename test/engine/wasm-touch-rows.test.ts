// touchRows (matmul-kernel.ts), the attention kernel's prefetch by loads: it reads one word of every 64-byte
// line of each strided row (plus the row's last word, whose line a row that starts mid-line ends in), and no
// word outside the rows. Checked by its return value, the xor of the words it read, on rows of random
// lengths, strides and starting offsets, with every word outside the rows set to a value that would show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { staged, wasmAvailable } from '../../engine/backend/cpu/wasm/index.js';
import { runtime } from '../../engine/backend/cpu/wasm/runtime.js';

const skip = !wasmAvailable() && 'WebAssembly SIMD is not available';

/** The words touchRows promises to read, by byte offset from the first row: each row's 0, 64, 128, … and its last. */
function expectedXor(words: Int32Array, base: number, stride: number, rows: number, rowBytes: number): number {
  let x = 0;
  for (let r = 0; r < rows; r++) {
    const row = base + r * stride;
    const read = new Set<number>();
    for (let j = 0; j < rowBytes - 4; j += 64) read.add(row + j);
    read.add(row + rowBytes - 4);
    for (const at of read) x ^= words[at / 4];
  }
  return x;
}

test('touchRows reads one word a line of every row, the last word of each, and nothing outside the rows', { skip }, () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 0, max: 40 }),
    fc.integer({ min: 0, max: 15 }), fc.integer({ min: 1, max: 2 ** 30 }), (rows, rowWords, gapWords, startWord, seed) => {
      const rowBytes = rowWords * 4, stride = rowBytes + gapWords * 4, words = startWord + rows * (rowWords + gapWords) + 1;
      staged((s) => {
        const at = s.temp(words), view = new Int32Array(s.h.view().buffer, at, words);
        // distinct bits a word: any word read twice, skipped or read outside the rows changes the xor
        let state = seed;
        for (let i = 0; i < words; i++) { state = (Math.imul(state, 1103515245) + 12345) | 0; view[i] = state; }
        const base = startWord * 4;
        const got = runtime().ex.touchRows(at + base, stride, rows, rowBytes);
        const want = rows === 0 ? 0 : expectedXor(view, base, stride, rows, rowBytes);
        assert.equal(got, want, `rows ${rows}, ${rowBytes} bytes each, stride ${stride}, start +${base}`);
      });
    }), { numRuns: 300 });
});
