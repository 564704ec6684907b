// `npm run bench`: every speed and memory target measured in one run on this machine, printed as one
// table. Nothing here is asserted; tests never time anything. `--only NAME[,NAME]` runs a subset.
import { parseArgs } from "node:util";
import { auditVerifyThroughput } from "./audit-verify.ts";
import { backupBench, rssGrowth } from "./backup.ts";
import { channelLatency } from "./channel-latency.ts";
import { offlineDetection } from "./offline.ts";
import { rollbackBench } from "./rollback.ts";
import { workerBundleSize } from "./worker-bundle.ts";

interface Row {
  area: string;
  measure: string;
  setting: string;
  value: string;
}

const sections: Record<string, () => Promise<Row[]>> = {
  worker: async () => {
    const { kb, gzipKb } = await workerBundleSize();
    return [{ area: "Worker", measure: "bundle, minified as deployed", setting: "npm run build:worker", value: `${kb} KB (gzip ${gzipKb} KB)` }];
  },
  rollback: async () => {
    const { rows, ratios } = await rollbackBench();
    return [
      ...rows.flatMap((r) => [
        { area: "rollback", measure: `${r.procedure} total`, setting: `${r.databaseMB} MB db`, value: `${r.totalSeconds} s` },
        { area: "rollback", measure: `${r.procedure} downtime`, setting: `${r.databaseMB} MB db`, value: `${r.downtimeSeconds} s` },
      ]),
      ...ratios.flatMap((r) => [
        { area: "rollback", measure: "seed ÷ rewind, total", setting: `${r.databaseMB} MB db`, value: `${r.totalRatio}×` },
        { area: "rollback", measure: "seed ÷ rewind, downtime", setting: `${r.databaseMB} MB db`, value: `${r.downtimeRatio}×` },
      ]),
    ];
  },
  channel: async () =>
    (await channelLatency()).flatMap((r) => [
      { area: "command latency", measure: "API call → agent ack p50", setting: `${r.agents} agents`, value: `${r.p50Ms} ms` },
      { area: "command latency", measure: "API call → agent ack p99", setting: `${r.agents} agents`, value: `${r.p99Ms} ms` },
    ]),
  backup: async () => {
    const rows = await backupBench();
    return [
      ...rows.flatMap((r) => [
        { area: "backup", measure: `${r.tool} throughput`, setting: `${r.databaseMB} MB db`, value: `${r.throughputMBps} MB/s` },
        { area: "backup", measure: `${r.tool} peak RSS`, setting: `${r.databaseMB} MB db`, value: `${r.peakRssMB} MB` },
      ]),
      { area: "backup", measure: "rewind backup RSS growth", setting: "small → large db", value: `${rssGrowth(rows, "rewind backup")} MB` },
    ];
  },
  offline: async () =>
    (await offlineDetection()).map((r) => ({
      area: "agent channel",
      measure: "agent gone → host shown offline",
      setting: r.how === "SIGKILL" ? "agent SIGKILLed (socket closed)" : "agent SIGSTOPped (socket silent)",
      value: `${r.seconds} s`,
    })),
  audit: async () =>
    (await auditVerifyThroughput()).flatMap((r) => {
      const setting = `${r.entries.toLocaleString("en")} entries, ${r.checkpoints.toLocaleString("en")} checkpoints`;
      const rate = (n: number) => `${Math.round(n).toLocaleString("en")}/s`;
      const rows = [{ area: "audit verify", measure: "entries per second", setting, value: rate(r.entriesPerSecond) }];
      if (r.signaturesPerSecond !== undefined) {
        rows.push({ area: "audit verify", measure: "peer: its checkpoint signatures alone", setting, value: rate(r.signaturesPerSecond) });
        rows.push({
          area: "audit verify",
          measure: "entries/s ÷ signatures-alone/s",
          setting,
          value: `${(r.entriesPerSecond / r.signaturesPerSecond).toFixed(2)}×`,
        });
      }
      return rows;
    }),
};

function printTable(rows: readonly Row[]): void {
  const headers: Row = { area: "area", measure: "measure", setting: "setting", value: "value" };
  const keys = ["area", "measure", "setting", "value"] as const;
  const widths = keys.map((k) => Math.max(headers[k].length, ...rows.map((r) => r[k].length)));
  const line = (r: Row) => `| ${keys.map((k, i) => r[k].padEnd(widths[i] ?? 0)).join(" | ")} |`;
  console.log(line(headers));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const r of rows) console.log(line(r));
}

const { values } = parseArgs({ options: { only: { type: "string" } } });
const chosen = values.only ? values.only.split(",") : Object.keys(sections);
const unknown = chosen.filter((name) => !(name in sections));
if (unknown.length > 0) {
  console.error(`bench: unknown section(s) ${unknown.join(", ")}; choose from ${Object.keys(sections).join(", ")}`);
  process.exit(2);
}
const rows: Row[] = [];
for (const name of chosen) {
  const section = sections[name];
  if (!section) continue;
  console.error(`bench: running ${name}…`);
  rows.push(...(await section()));
}
// A literal "|" (as in "pg_dump | gzip") would split a Markdown cell.
printTable(rows.map((r) => ({ area: r.area, measure: r.measure.replaceAll("|", "\\|"), setting: r.setting, value: r.value })));
