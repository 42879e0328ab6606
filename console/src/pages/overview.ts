// Overview: the handle's emails per day over 7 or 30 days (chart and table), the range's
// bounce and complaint rates against the reputation guard's thresholds, and today's quota.

import type { Api } from "../api";
import { drawChart, SERIES } from "../chart";
import { alertSentence, fields, h, scrollable, showPage, table, type Child } from "../dom";
import { describe } from "../errors";
import { count, day, percent, time, words } from "../format";
import type { Quota, Stats } from "../types";

// Where the reputation guard pauses a handle (docs/api.md, "Paused sending").
const BOUNCE_THRESHOLD = 0.05;
const COMPLAINT_THRESHOLD = 0.001;
const RANGES = [
  { days: 7, label: "Last 7 days" },
  { days: 30, label: "Last 30 days" },
];

/** `days` whole UTC days up to `end`, the end of today on the API's clock (the dev clock
 * may run ahead of this browser's); this browser's today when that is not known yet. */
function range(days: number, end: string | null): { from: string; to: string } {
  const today = new Date();
  today.setUTCHours(24, 0, 0, 0);
  const to = end ? new Date(end) : today;
  return { from: new Date(to.getTime() - days * 86_400_000).toISOString(), to: to.toISOString() };
}

function against(rate: number, threshold: number): string {
  if (rate > threshold) return "above the threshold";
  return rate === threshold ? "at the threshold" : "below the threshold";
}

function rates(stats: Stats): HTMLElement {
  const { totals } = stats;
  const line = (name: string, rate: number, threshold: number): HTMLLIElement => {
    const verdict = against(rate, threshold);
    return h("li", { class: verdict === "below the threshold" ? "ok" : "warn" },
      `${name}: ${percent(rate)}, ${verdict} of ${percent(threshold)}.`);
  };
  return h("section", { "aria-labelledby": "rates-heading" },
    h("h3", { id: "rates-heading" }, "Bounce and complaint rates"),
    h("p", {}, `Per email sent in the range (${count(totals.sent)} sent). The reputation guard pauses a handle at these thresholds over 24 hours.`),
    h("ul", { class: "rates" },
      line("Bounce rate", totals.bounceRate, BOUNCE_THRESHOLD),
      line("Complaint rate", totals.complaintRate, COMPLAINT_THRESHOLD)));
}

function statsTable(stats: Stats): HTMLTableElement {
  const cells = (bucket: Stats["totals"]): Child[] => SERIES.map((series) => count(bucket[series.key]));
  return table(
    "Emails per day (UTC)",
    ["Day", ...SERIES.map((series) => series.label)],
    stats.buckets.map((bucket) => [day(bucket.start), ...cells(bucket)]),
    ["Total", ...cells(stats.totals)],
  );
}

function quotaFields(quota: Quota): HTMLElement {
  const pairs: [string, Child][] = [
    ["Daily limit", count(quota.dailyLimit)],
    ["Used today", count(quota.usedToday)],
    ["Remaining today", count(quota.remainingToday)],
    ["Resets at", time(quota.resetsAt)],
    ["Sandbox", quota.sandbox ? "Yes: only the handle's own domains, the simulator and test sends" : "No"],
    ["Sending", quota.sendingPaused ? `Paused since ${time(quota.sendingPaused.since)}: ${quota.sendingPaused.reason}` : "Not paused"],
  ];
  if (quota.sesTenant) pairs.push(["SES tenant", `${quota.sesTenant.name}: ${words(quota.sesTenant.sendingStatus)}`]);
  const reputation = quota.reputation;
  if (reputation) {
    pairs.push([`Reputation (last ${reputation.windowHours} hours)`,
      `${words(reputation.status)}${reputation.reason ? `: ${reputation.reason}` : ""}`]);
  }
  return fields("Today's quota", pairs);
}

export function renderOverview(api: Api, signal: AbortSignal): void {
  let undraw: (() => void) | null = null;
  signal.addEventListener("abort", () => undraw?.());
  const statsBody = h("div", { "aria-live": "polite" });
  const quotaBody = h("div", { "aria-live": "polite" });
  const rangeLabel = h("span", {}, RANGES[0]?.label ?? "");

  let apiToday: string | null = null;
  const loadStats = async (days: number): Promise<void> => {
    statsBody.replaceChildren(h("p", {}, "Loading the email stats…"));
    try {
      // 7 days is the API's own default (the last 168 hours, in whole days); its end tells
      // when today ends on the API's clock, which the 30 days end with.
      const stats = await api.stats(days === 7 ? {} : range(days, apiToday));
      if (signal.aborted) return;
      apiToday ??= stats.to;
      const chart = h("div", { class: "chart" });
      statsBody.replaceChildren(
        h("div", { class: "stats-layout" },
          h("figure", { role: "group", "aria-labelledby": "chart-caption" }, chart,
            h("figcaption", { id: "chart-caption" }, `Emails per UTC day, ${day(stats.from)} to ${day(stats.buckets.at(-1)?.start ?? stats.to)}: sent, delivered, bounced and complained. The table has the same numbers.`)),
          scrollable(statsTable(stats))),
        rates(stats),
      );
      undraw?.();
      undraw = drawChart(chart, stats.buckets);
    } catch (error) {
      if (!signal.aborted) statsBody.replaceChildren(alertSentence(describe(error, "see the email stats")));
    }
  };

  const loadQuota = async (): Promise<void> => {
    try {
      const quota = await api.quota();
      if (!signal.aborted) quotaBody.replaceChildren(quotaFields(quota));
    } catch (error) {
      if (!signal.aborted) quotaBody.replaceChildren(alertSentence(describe(error, "see today's quota")));
    }
  };

  const toggle = h("fieldset", { class: "range" }, h("legend", {}, "Range"),
    ...RANGES.map((range, index) => {
      const input = h("input", { type: "radio", name: "range", value: String(range.days), id: `range-${range.days}`, checked: index === 0 });
      input.addEventListener("change", () => {
        rangeLabel.textContent = range.label;
        void loadStats(range.days);
      });
      return h("span", { class: "choice" }, input, h("label", { for: `range-${range.days}` }, range.label));
    }));

  showPage("Overview",
    h("h1", {}, "Overview"),
    h("section", { "aria-labelledby": "stats-heading" },
      h("h2", { id: "stats-heading" }, "Emails, ", rangeLabel), toggle, statsBody),
    h("section", { "aria-labelledby": "quota-heading" },
      h("h2", { id: "quota-heading" }, "Today's quota"), quotaBody));
  void loadStats(7);
  void loadQuota();
}
