// The stats chart (uPlot): sent, delivered, bounced and complained per UTC day. Each series
// has its own dash pattern as well as its colour, and the legend says which is which in text.

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { h } from "./dom";
import type { StatsBucket } from "./types";

const HEIGHT = 240;

interface Series {
  key: "sent" | "delivered" | "bounced" | "complained";
  label: string;
  colour: string;
  dash: number[];
}

// Colours with at least 3:1 contrast on white.
export const SERIES: Series[] = [
  { key: "sent", label: "Sent", colour: "#1f5fbf", dash: [] },
  { key: "delivered", label: "Delivered", colour: "#1b7a3a", dash: [8, 4] },
  { key: "bounced", label: "Bounced", colour: "#b3261e", dash: [2, 3] },
  { key: "complained", label: "Complained", colour: "#7a4b00", dash: [10, 3, 2, 3] },
];

function legend(): HTMLUListElement {
  return h("ul", { class: "legend", "aria-hidden": "true" },
    ...SERIES.map((series) => {
      const swatch = h("span", { class: "swatch" });
      // CSSOM, not a style attribute: the console's CSP allows no inline styles.
      swatch.style.borderTopColor = series.colour;
      swatch.style.borderTopStyle = series.dash.length ? "dashed" : "solid";
      return h("li", {}, swatch, series.label);
    }));
}

/** Draw the chart into `container`; answers a function that removes it. */
export function drawChart(container: HTMLElement, buckets: StatsBucket[]): () => void {
  const plotArea = h("div", { class: "plot" });
  container.replaceChildren(plotArea, legend());
  const data: uPlot.AlignedData = [
    buckets.map((bucket) => Date.parse(bucket.start) / 1000),
    ...SERIES.map((series) => buckets.map((bucket) => bucket[series.key])),
  ];
  const width = (): number => Math.max(plotArea.clientWidth, 200);
  const plot = new uPlot(
    {
      width: width(),
      height: HEIGHT,
      // The API's days are UTC days: label them so.
      tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC"),
      legend: { show: false },
      cursor: { show: false },
      scales: { y: { range: (_, __, max) => [0, Math.max(max, 1)] } },
      axes: [{}, { label: "emails", values: (_, ticks) => ticks.map((tick) => (Number.isInteger(tick) ? String(tick) : "")) }],
      series: [
        {},
        ...SERIES.map((series) => ({
          label: series.label,
          stroke: series.colour,
          dash: series.dash,
          width: 2,
          points: { show: true, size: 5 },
        })),
      ],
    },
    data,
    plotArea,
  );
  const resizing = new ResizeObserver(() => plot.setSize({ width: width(), height: HEIGHT }));
  resizing.observe(plotArea);
  return () => {
    resizing.disconnect();
    plot.destroy();
  };
}
