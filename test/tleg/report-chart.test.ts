// The report chart: one colour per method in both panels, depth told apart by marker and line style in the
// steps panel, the same-budget scratch curves present there, and a title naming data set, preset and seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PALETTE } from '../../tleg/chart.js';
import { reportSvg, type ReportInput, type StageResult } from '../../tleg/report.js';

function run(method: StageResult['method'], depth: number, steps: number, accuracy: number): StageResult {
  const curve = [1, 2, 3, 4].map((q) => ({ step: (q * steps) / 4, accuracy: accuracy - 0.05 * (4 - q) }));
  return { stage: `${method}-d${depth}`, method, depth, steps, images: steps * 64, seconds: 1, accuracy, parameters: 1000 * depth, curve };
}

const depths = [2, 4, 6];
const input: ReportInput = {
  title: 'TLEG on fashion-mnist', settings: { preset: 'quick', dataset: 'fashion-mnist', seed: 3 },
  teacher: run('teacher', 6, 100, 0.8), ancestry: run('ancestry', 6, 100, 0.75), learngeneSize: 500,
  descendants: depths.map((d) => run('learngene', d, 100, 0.8)),
  scratch: depths.map((d) => run('scratch', d, 100, 0.6)),
  scratchLong: depths.map((d) => run('scratch-long', d, 300, 0.7)),
  scratchMultiplier: 3,
};

/** Each panel's <g> and, per polyline, its colour, dash and the markers drawn right after it. */
function panels(svg: string): Array<Array<{ color: string; dash: string; marker: string }>> {
  return svg.split('<g ').slice(1).map((g) => [...g.matchAll(/<polyline fill="none" stroke="(#[0-9a-f]+)" stroke-width="[\d.]+"(?: stroke-dasharray="([\d,]+)")? points="[^"]*"\/>\n<(\w+)/g)]
    .map((m) => ({ color: m[1], dash: m[2] ?? 'solid', marker: m[3] })));
}

test('the chart title names the data set, the preset and the seed', () => {
  const svg = reportSvg(input);
  assert.match(svg, /<text [^>]*>TLEG vs training from scratch: fashion-mnist, preset quick, seed 3<\/text>/);
});

test('one colour per method in both panels: TLEG, scratch on the same budget (also in the steps panel) and scratch k×', () => {
  const [byDepth, bySteps] = panels(reportSvg(input));
  assert.deepEqual(byDepth.map((l) => l.color), [PALETTE[0], PALETTE[1], PALETTE[2]]);
  assert.equal(bySteps.length, 3 * depths.length, 'a curve per method and depth, the same-budget scratch included');
  for (const [i, color] of [PALETTE[0], PALETTE[1], PALETTE[2]].entries()) {
    assert.deepEqual(bySteps.slice(i * depths.length, (i + 1) * depths.length).map((l) => l.color), Array(depths.length).fill(color));
  }
});

test('in the steps panel each depth has its own marker and line style, the same for every method', () => {
  const [, bySteps] = panels(reportSvg(input));
  const styleOf = (l: { dash: string; marker: string }) => `${l.dash}/${l.marker}`;
  const tleg = bySteps.slice(0, depths.length).map(styleOf);
  assert.equal(new Set(tleg).size, depths.length, `distinct styles per depth: ${tleg.join(' ')}`);
  assert.deepEqual(bySteps.slice(depths.length, 2 * depths.length).map(styleOf), tleg);
  assert.deepEqual(bySteps.slice(2 * depths.length).map(styleOf), tleg);
});
