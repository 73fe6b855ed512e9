// Intraday net P&L charts drawn with uPlot (vendored under /dashboard/vendor), x in IST.
/* global uPlot */
import { EXCHANGE_TIME_ZONE, istMinutes, istTime } from "./format.js";

const COLOURS = ["#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c", "#0e7490", "#4d7c0f"];
const HEIGHT = 220;

function options(title, names, width) {
  return {
    title,
    width,
    height: HEIGHT,
    tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), EXCHANGE_TIME_ZONE),
    scales: { x: { time: true } },
    series: [
      { label: "IST", value: (u, seconds) => (seconds == null ? "–" : istTime(new Date(seconds * 1000))) },
      ...names.map((name, index) => ({
        label: name,
        stroke: COLOURS[index % COLOURS.length],
        width: 1.5,
        spanGaps: true,
        value: (u, rupees) => (rupees == null ? "–" : rupees.toFixed(2)),
      })),
    ],
    axes: [
      { values: (u, splits) => splits.map(istMinutes) },
      { label: "net P&L (₹)", size: 70 },
    ],
  };
}

// One chart in `container`: its series are fixed when drawn, so new names draw it anew.
export class PnlChart {
  constructor(container, title) {
    this.container = container;
    this.title = title;
    this.plot = null;
    this.names = "";
  }

  // `columns` is [x seconds, ...one array of rupees per name]; `names` labels them.
  show(names, columns) {
    const key = names.join("\n");
    if (!this.plot || key !== this.names) {
      this.clear();
      const width = Math.max(320, this.container.clientWidth);
      this.plot = new uPlot(options(this.title, names, width), columns, this.container);
      this.names = key;
    } else {
      this.plot.setData(columns);
    }
    this.container.dataset.points = String(this.plot.data[0].length);
    this.container.dataset.series = String(names.length);
  }

  clear() {
    if (this.plot) this.plot.destroy();
    this.plot = null;
    this.names = "";
    delete this.container.dataset.points;
  }
}

// Turn the API's curve ({points: [{at, net_pnl, strategies}]}) into the charts' columns.
export function curveColumns(curve) {
  const points = curve.points;
  const seconds = points.map((point) => Date.parse(point.at) / 1000);
  const ids = [...new Set(points.flatMap((point) => Object.keys(point.strategies)))].sort();
  const rupees = (text) => (text == null ? null : Number(text));
  return {
    total: [seconds, points.map((point) => rupees(point.net_pnl))],
    ids,
    strategies: [seconds, ...ids.map((id) => points.map((point) => rupees(point.strategies[id])))],
  };
}
