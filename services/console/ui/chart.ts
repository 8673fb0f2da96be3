/**
 * A group's lag (left axis) and replicas (right axis, a step line) over the last hour, with the
 * operator's decisions as vertical lines (uPlot: a small canvas chart, bundled, no CDN).
 */
import uPlot from 'uplot';
import type { TimelineMark, TimelinePoint } from '../group-timeline.ts';

const colors = { lag: '#b45309', replicas: '#1d4ed8', scaled: '#15803d', condition: '#6b7280' };

export class LagChart {
  private readonly plot: uPlot;
  private marks: TimelineMark[] = [];

  constructor(target: HTMLElement, width: number) {
    const options: uPlot.Options = {
      width,
      height: 280,
      title: 'Lag and replicas',
      scales: { x: { time: true }, replicas: { range: (_u, _min, max) => [0, Math.max(2, max + 1)] } },
      series: [
        {},
        { label: 'lag (messages)', stroke: colors.lag, width: 2, scale: 'y' },
        { label: 'replicas', stroke: colors.replicas, width: 2, scale: 'replicas', paths: uPlot.paths.stepped?.({ align: 1 }) },
      ],
      axes: [{}, { scale: 'y', label: 'lag' }, { scale: 'replicas', side: 1, label: 'replicas', grid: { show: false } }],
      hooks: { draw: [(u) => this.drawMarks(u)] },
    };
    this.plot = new uPlot(options, [[], [], []], target);
  }

  update(points: TimelinePoint[], marks: TimelineMark[]): void {
    this.marks = marks;
    this.plot.setData([points.map((p) => p.at / 1000), points.map((p) => p.lag), points.map((p) => p.replicas)]);
  }

  resize(width: number): void {
    this.plot.setSize({ width, height: 280 });
  }

  private drawMarks(u: uPlot): void {
    const { ctx } = u;
    const { top, height } = u.bbox;
    ctx.save();
    ctx.lineWidth = 1.5 * devicePixelRatio;
    for (const mark of this.marks) {
      const x = u.valToPos(mark.at / 1000, 'x', true);
      if (!Number.isFinite(x)) continue;
      ctx.strokeStyle = mark.kind === 'scaled' ? colors.scaled : colors.condition;
      ctx.setLineDash(mark.kind === 'scaled' ? [] : [4 * devicePixelRatio, 4 * devicePixelRatio]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
    }
    ctx.restore();
  }
}
