// `npm run bench`: every speed and memory target measured in one run on this machine, printed as one
// table. Nothing here is asserted; tests never time anything. `--only NAME[,NAME]` runs a subset.
import { parseArgs } from "node:util";
import { auditVerifyThroughput } from "./audit-verify.ts";
import { backupBench, rssGrowth } from "./backup.ts";
import { channelLatency } from "./channel-latency.ts";
import { offlineDetection } from "./offline.ts";
import { reconnectStorm } from "./reconnect.ts";
import { restoreFormatBench } from "./restore-format.ts";
import { rollbackBench } from "./rollback.ts";
import { workerBundleSize } from "./worker-bundle.ts";

interface Row {
  area: string;
  measure: string;
  setting: string;
  value: string;
}

// Opt-in, each minutes long: --storm-5000 adds the 5,000-agent reconnect storm, --rollback-2gb the
// rollback rows at a 2 GB database. --rounds N: rollbacks and restores per procedure and size (default 3).
const { values } = parseArgs({
  options: { only: { type: "string" }, "storm-5000": { type: "boolean" }, "rollback-2gb": { type: "boolean" }, rounds: { type: "string" } },
});

function rounds(): number {
  const n = values.rounds === undefined ? 3 : Number(values.rounds);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--rounds must be a whole number ≥ 1, not '${values.rounds}'`);
  return n;
}

const sections: Record<string, () => Promise<Row[]>> = {
  worker: async () => {
    const { kb, gzipKb } = await workerBundleSize();
    return [{ area: "Worker", measure: "bundle, minified as deployed", setting: "npm run build:worker", value: `${kb} KB (gzip ${gzipKb} KB)` }];
  },
  rollback: async () => {
    const { rows, ratios } = await rollbackBench(values["rollback-2gb"] === true ? [32, 512, 2048] : [32, 512], rounds());
    return [
      ...rows.flatMap((r) => [
        {
          area: "rollback",
          measure: `${r.procedure} total, median of ${r.rounds}`,
          setting: `${r.databaseMB} MB db`,
          value: `${r.totalSeconds} s (${r.totalRange[0]}–${r.totalRange[1]})`,
        },
        { area: "rollback", measure: `${r.procedure} downtime, median`, setting: `${r.databaseMB} MB db`, value: `${r.downtimeSeconds} s` },
        // Where Rewind's time goes: everything up to stop-services is before the downtime.
        ...(r.steps === undefined ? [] : [{ area: "rollback", measure: `${r.procedure} seconds per step`, setting: `${r.databaseMB} MB db`, value: r.steps }]),
      ]),
      ...ratios.flatMap((r) => [
        { area: "rollback", measure: "rewind ÷ seed runbook, total (medians)", setting: `${r.databaseMB} MB db`, value: `${r.totalRatio}×` },
        { area: "rollback", measure: "rewind ÷ seed runbook, downtime (medians)", setting: `${r.databaseMB} MB db`, value: `${r.downtimeRatio}×` },
      ]),
    ];
  },
  restore: async () => {
    const r = await restoreFormatBench(512, rounds());
    const setting = `${r.databaseMB} MB db, same data, medians of ${r.rounds}`;
    return [
      { area: "restore", measure: "seed: gunzip -c | psql, plain dump", setting, value: `${r.seedSeconds} s` },
      { area: "restore", measure: "rewind: its custom format, pg_restore --jobs", setting, value: `${r.rewindCustomSeconds} s` },
      { area: "restore", measure: "seed ÷ rewind (times faster)", setting, value: `${(r.seedSeconds / r.rewindCustomSeconds).toFixed(2)}×` },
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
  reconnect: async () => {
    const rows: Row[] = [];
    for (const count of values["storm-5000"] === true ? [1000, 5000] : [1000]) {
      const r = await reconnectStorm(count);
      const setting = `${count.toLocaleString("en")} agents restarted at once`;
      rows.push(
        { area: "agent channel", measure: "reconnect storm: all online again", setting, value: `${r.allOnlineSeconds} s` },
        { area: "agent channel", measure: "reconnect storm: commands lost", setting, value: `${r.lost} of ${r.commands}` },
        { area: "agent channel", measure: "reconnect storm: API calls reset by local workerd", setting, value: `${r.resets}` },
        { area: "agent channel", measure: "reconnect storm: command p99 (host online)", setting, value: `${r.p99Ms} ms` },
      );
    }
    return rows;
  },
  audit: async () =>
    (await auditVerifyThroughput()).flatMap((r) => {
      const setting = `${r.entries.toLocaleString("en")} entries, ${r.checkpoints.toLocaleString("en")} checkpoints`;
      const rate = (n: number) => `${Math.round(n).toLocaleString("en")}/s`;
      const rows = [
        { area: "audit verify", measure: "entries per second", setting, value: rate(r.entriesPerSecond) },
        { area: "audit verify", measure: "CPU time per entry, all threads", setting, value: `${r.cpuMicrosPerEntry} µs` },
      ];
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
  // One failed section (a reset connection on a loaded machine) must not lose the others' rows.
  try {
    rows.push(...(await section()));
  } catch (error) {
    console.error(error);
    rows.push({ area: name, measure: "section failed", setting: "", value: error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error) });
  }
}
// A literal "|" (as in "pg_dump | gzip") would split a Markdown cell.
printTable(rows.map((r) => ({ area: r.area, measure: r.measure.replaceAll("|", "\\|"), setting: r.setting, value: r.value })));
