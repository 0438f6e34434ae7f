// The demo page: controls, numbers and the chart. The engine runs in a Web Worker (train-worker.ts).
import type { Backend, FromWorker, ToWorker } from './protocol.js';
import { drawChart, type Point } from './chart.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const set = (id: string, text: string) => { $(id).textContent = text; };
const pct = (a: number) => `${(100 * a).toFixed(1)} %`;

const worker = new Worker(new URL('./train-worker.js', import.meta.url), { type: 'module' });
const send = (m: ToWorker) => worker.postMessage(m);
const losses: Point[] = [], accuracies: Point[] = [];
let stepTimes: number[] = [];

for (let d = 1; d <= 12; d++) $('depth').append(new Option(String(d), String(d), d === 6, d === 6));
const cores = navigator.hardwareConcurrency || 1;
for (let t = 1; t <= cores; t++) $('threads').append(new Option(String(t), String(t), t === Math.min(cores, 4), t === Math.min(cores, 4)));
if (!crossOriginIsolated) set('status', 'This page is not cross-origin isolated: the engine runs on one thread.');

function busy(on: boolean): void {
  ($('expand') as HTMLButtonElement).disabled = on;
  ($('train') as HTMLButtonElement).disabled = on || accuracies.length === 0;
}

function redraw(): void {
  drawChart($('chart') as HTMLCanvasElement, losses, accuracies);
}

$('expand').onclick = () => {
  busy(true);
  losses.length = 0; accuracies.length = 0; stepTimes = [];
  set('acc0', '–'); set('acc', '–'); set('ms', '–');
  set('status', 'Expanding the learngene and evaluating on the test images…');
  const depth = Number(($('depth') as HTMLSelectElement).value);
  send({ type: 'expand', depth, backend: ($('backend') as HTMLSelectElement).value as Backend, threads: Number(($('threads') as HTMLSelectElement).value) });
};

$('train').onclick = () => {
  busy(true);
  set('status', 'Fine-tuning…');
  const num = (id: string) => Number(($(id) as HTMLInputElement).value);
  send({ type: 'train', steps: num('steps'), batch: num('batch'), lr: num('lr'), evalEvery: 10 });
};

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  switch (m.type) {
    case 'ready':
      set('gene', `${m.geneParams.toLocaleString()} parameters, trained as a depth-${m.geneDepth} Aux-Net; ${m.testImages} test and ${m.trainImages} training images loaded`);
      if (!m.gpu) ($('backend') as HTMLSelectElement).options[1].disabled = true;
      set('status', `Ready${m.gpu ? '' : ' (no WebGPU adapter here: WebAssembly only)'}. Pick a depth and expand.`);
      busy(false);
      break;
    case 'expanded':
      set('model', `ViT of depth ${m.depth}, ${m.params.toLocaleString()} parameters (expanded in ${m.ms.toFixed(0)} ms)`);
      set('backend-used', `${m.backend}, ${m.threads} thread${m.threads > 1 ? 's' : ''}`);
      set('acc0', pct(m.accuracy)); set('acc', pct(m.accuracy));
      accuracies.push({ step: 0, value: m.accuracy });
      set('status', 'Expanded. Fine-tune it, or pick another depth.');
      redraw();
      busy(false);
      break;
    case 'step':
      losses.push({ step: m.step, value: m.loss });
      stepTimes.push(m.ms);
      set('ms', `${(stepTimes.slice(-20).reduce((a, b) => a + b, 0) / Math.min(20, stepTimes.length)).toFixed(0)} ms (mean of the last ${Math.min(20, stepTimes.length)})`);
      redraw();
      break;
    case 'eval':
      accuracies.push({ step: m.step, value: m.accuracy });
      set('acc', `${pct(m.accuracy)} after ${m.step} steps`);
      redraw();
      break;
    case 'done':
      set('status', `Fine-tuned ${m.steps} steps in all. Train more, or expand another depth.`);
      document.body.dataset.trained = String(m.steps);
      busy(false);
      break;
    case 'error':
      set('status', `Error: ${m.message}`);
      busy(false);
      break;
  }
};
