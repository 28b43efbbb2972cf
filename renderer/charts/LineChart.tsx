/**
 * A small line chart on uPlot (canvas-drawn, cheap to update many times a second while training).
 */
import { useEffect, useRef, type JSX } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One line. */
export interface ChartSeries {
  readonly label: string;
  readonly values: readonly (number | null)[];
  readonly color: string;
  readonly width?: number;
  readonly dash?: readonly number[];
  /** Draw point markers (for sparse per-epoch values). */
  readonly points?: boolean;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

function options(title: string, xLabel: string, series: readonly ChartSeries[], width: number, height: number): uPlot.Options {
  const axis = cssVar('--muted', '#9aa3b2');
  const grid = cssVar('--grid', 'rgba(128,128,128,0.15)');
  const axisStyle: uPlot.Axis = { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '11px system-ui, sans-serif' };
  return {
    title,
    width,
    height,
    legend: { show: true, live: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: false } },
    axes: [
      { ...axisStyle, label: xLabel, labelFont: '11px system-ui, sans-serif', labelSize: 18 },
      { ...axisStyle, size: 48 },
    ],
    series: [
      { label: xLabel },
      ...series.map<uPlot.Series>((s) => ({
        label: s.label,
        stroke: s.color,
        width: s.width ?? 1.5,
        spanGaps: true,
        ...(s.dash ? { dash: [...s.dash] } : {}),
        points: { show: Boolean(s.points), size: 5, fill: s.color },
      })),
    ],
  };
}

/** A line chart; `x` and every series' values are aligned arrays. */
export function LineChart({ title, xLabel, x, series, height = 200 }: { title: string; xLabel: string; x: readonly number[]; series: readonly ChartSeries[]; height?: number }): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shapeKey = series.map((s) => `${s.label}|${s.color}|${s.dash?.join(',') ?? ''}`).join(';') + title;
  const lastKey = useRef('');

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const data = [x as number[], ...series.map((s) => s.values as (number | null)[])] as uPlot.AlignedData;
    if (!plot.current || lastKey.current !== shapeKey) {
      plot.current?.destroy();
      plot.current = new uPlot(options(title, xLabel, series, Math.max(200, el.clientWidth), height), data, el);
      lastKey.current = shapeKey;
    } else {
      plot.current.setData(data);
    }
  }, [x, series, shapeKey, title, xLabel, height]);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [height]);

  return <div className="ll-chart" ref={host} data-testid={`chart-${title.toLowerCase().replace(/\W+/g, '-')}`} data-points={x.length} />;
}
