// A plain two-axis line chart on a canvas: training loss (left axis) and test accuracy (right axis) against steps.
export interface Point { step: number; value: number }

export function drawChart(canvas: HTMLCanvasElement, losses: Point[], accuracies: Point[]): void {
  const g = canvas.getContext('2d')!;
  const W = canvas.width, H = canvas.height, L = 110, R = 110, T = 40, B = 70;
  g.clearRect(0, 0, W, H);
  g.font = '26px system-ui, sans-serif';
  const lastStep = Math.max(10, ...losses.map((p) => p.step), ...accuracies.map((p) => p.step));
  const maxLoss = Math.max(0.5, ...losses.map((p) => p.value));
  const x = (s: number) => L + (s / lastStep) * (W - L - R);
  const yLoss = (v: number) => H - B - (v / maxLoss) * (H - T - B);
  const yAcc = (v: number) => H - B - v * (H - T - B);
  g.strokeStyle = '#ccc'; g.lineWidth = 2;
  g.strokeRect(L, T, W - L - R, H - T - B);
  g.fillStyle = '#444';
  g.textAlign = 'center';
  for (let i = 0; i <= 5; i++) g.fillText(String(Math.round((lastStep * i) / 5)), x((lastStep * i) / 5), H - B + 34);
  g.fillText('fine-tuning step', W / 2, H - 12);
  g.textAlign = 'right';
  for (let i = 0; i <= 4; i++) g.fillText(((maxLoss * i) / 4).toFixed(2), L - 12, yLoss((maxLoss * i) / 4) + 8);
  g.textAlign = 'left';
  for (let i = 0; i <= 4; i++) g.fillText(`${25 * i} %`, W - R + 12, yAcc(i / 4) + 8);
  line(g, losses.map((p) => [x(p.step), yLoss(p.value)]), '#d1495b');
  line(g, accuracies.map((p) => [x(p.step), yAcc(p.value)]), '#00798c', true);
  g.fillStyle = '#d1495b'; g.fillText('training loss', L + 20, T + 34);
  g.fillStyle = '#00798c'; g.fillText('test accuracy', L + 240, T + 34);
}

function line(g: CanvasRenderingContext2D, pts: number[][], color: string, dots = false): void {
  g.strokeStyle = color; g.fillStyle = color; g.lineWidth = 4;
  g.beginPath();
  pts.forEach(([px, py], i) => (i ? g.lineTo(px, py) : g.moveTo(px, py)));
  g.stroke();
  if (dots) for (const [px, py] of pts) { g.beginPath(); g.arc(px, py, 7, 0, 2 * Math.PI); g.fill(); }
}
