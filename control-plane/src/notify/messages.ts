// Renders a NotifyEvent for SNS: a short form that fits one SMS, a full form for e-mail, a subject,
// and the attributes (event, host, severity) subscription filter policies match on. Pure.
import type { NotifyEvent, NotifyEventType, Severity } from "./events.ts";

export interface RenderedMessage {
  event: NotifyEventType;
  host: string;
  severity: Severity;
  /** E-mail subject: SNS allows at most 100 printable ASCII characters. */
  subject: string;
  /** One GSM-7 SMS: at most 160 ASCII characters. */
  sms: string;
  email: string;
}

export const smsLimit = 160;
const subjectLimit = 100;
/** A longer link would eat the message: the SMS then goes without it and the e-mail carries it. */
const smsLinkLimit = 80;

interface Parts {
  host: string;
  severity: Severity;
  /** "rollback SUCCEEDED" — the headline, in the SMS, the subject and the e-mail. */
  what: string;
  /** The one detail worth an SMS (reason, failing step, duration). */
  detail?: string;
  /** Full facts for the e-mail, one per line. */
  facts: ReadonlyArray<readonly [string, string | undefined]>;
  link?: string;
}

export function renderMessage(event: NotifyEvent, consoleUrl?: string): RenderedMessage {
  const parts = describe(event, consoleUrl);
  return {
    event: event.type,
    host: parts.host,
    severity: parts.severity,
    subject: clip(ascii(`[Rewind] ${parts.host}: ${parts.what}`), subjectLimit),
    sms: smsText(parts),
    email: emailText(event.type, parts),
  };
}

/** SNS `MessageStructure: json`: `default` serves every protocol without its own key (HTTP, SQS, Lambda). */
export function messageStructure(message: RenderedMessage): string {
  return JSON.stringify({ default: message.email, sms: message.sms, email: message.email });
}

export function messageAttributes(message: RenderedMessage): Record<string, { DataType: "String"; StringValue: string }> {
  return {
    event: { DataType: "String", StringValue: message.event },
    host: { DataType: "String", StringValue: message.host },
    severity: { DataType: "String", StringValue: message.severity },
  };
}

/** The console has no alert view (decisions are in GET /v1/alerts): the rollback, else the host. */
function decisionPage(rollbackId: string | undefined, host: string | null): string {
  if (rollbackId !== undefined) return `rollbacks/${encodeURIComponent(rollbackId)}`;
  return host === null ? "hosts" : `hosts/${encodeURIComponent(host)}`;
}

export function consoleLink(consoleUrl: string | undefined, path: string): string | undefined {
  if (consoleUrl === undefined) return undefined;
  return `${consoleUrl.replace(/\/+$/, "")}/#/${path}`;
}

function describe(event: NotifyEvent, consoleUrl: string | undefined): Parts {
  switch (event.type) {
    case "rollback.requested":
      return {
        ...rollbackParts(event, consoleUrl),
        severity: "info",
        what: `rollback requested by ${event.requestedBy}`,
        detail: event.reason,
        facts: [
          ["Requested by", event.requestedBy],
          ["Reason", event.reason],
          ["Backup", event.backupId ?? "newest"],
          ["Rollback", event.rollbackId],
        ],
      };
    case "rollback.started":
      return {
        ...rollbackParts(event, consoleUrl),
        severity: "info",
        what: "rollback started",
        facts: [
          ["Backup", event.backupId ?? "newest"],
          ["Rollback", event.rollbackId],
        ],
      };
    case "rollback.step-failed":
      return {
        ...rollbackParts(event, consoleUrl),
        severity: "warning",
        what: `rollback step ${event.step} FAILED`,
        detail: event.message,
        facts: [
          ["Step", event.step],
          ["Error", event.message],
          ["Rollback", event.rollbackId],
        ],
      };
    case "rollback.succeeded":
      return {
        ...rollbackParts(event, consoleUrl),
        severity: "info",
        what: "rollback SUCCEEDED",
        detail: `in ${formatDuration(event.durationMs)}`,
        facts: [
          ["Duration", formatDuration(event.durationMs)],
          ["Rollback", event.rollbackId],
        ],
      };
    case "rollback.failed":
      return {
        ...rollbackParts(event, consoleUrl),
        severity: "critical",
        what: event.step === undefined ? "rollback FAILED" : `rollback FAILED at ${event.step}`,
        detail: event.message,
        facts: [
          ["Step", event.step],
          ["Code", event.code],
          ["Error", event.message],
          ["Rollback", event.rollbackId],
        ],
      };
    case "rollback.undone":
      return {
        ...rollbackParts(event, consoleUrl),
        severity: "critical",
        what: "rollback failed and was UNDONE",
        detail: "host is back on the state before the rollback",
        facts: [
          ["Failed step", event.step],
          ["Error", event.message],
          ["State", "services run the deployment that was live before the rollback"],
          ["Rollback", event.rollbackId],
        ],
      };
    case "rollback.lost":
      return {
        ...rollbackParts(event, consoleUrl),
        severity: "critical",
        what: event.code === "ABANDONED" ? "rollback ABANDONED, host state unknown" : "rollback LOST, host state unknown",
        detail: event.message,
        facts: [
          ["Code", event.code],
          ["Why", event.message],
          ["Effect", "the host takes rollbacks again; check what its services run first"],
          ["Rollback", event.rollbackId],
        ],
      };
    case "decision.automatic": {
      const { decision } = event;
      const host = decision.host ?? "unknown";
      const rolling = decision.decision === "rollback";
      return {
        host,
        severity: rolling ? "critical" : "info",
        what: rolling ? `${event.alertname} -> automatic rollback` : `${event.alertname} -> no rollback (${decision.code})`,
        detail: decision.reason,
        facts: [
          ["Alert", event.alertname],
          ["Decision", rolling ? "roll back" : "no rollback"],
          ["Code", decision.code],
          ["Reason", decision.reason],
          ["Episode", decision.episodeKey],
          ["Rollback", event.rollbackId],
        ],
        ...optionalLink(consoleLink(consoleUrl, decisionPage(event.rollbackId, decision.host))),
      };
    }
    case "agent.offline":
      return {
        host: event.host,
        severity: "warning",
        what: `agent OFFLINE for ${event.offlineMinutes} min`,
        detail: `last seen ${event.lastSeenAt}`,
        facts: [
          ["Last seen", event.lastSeenAt],
          ["Offline for", `${event.offlineMinutes} min (threshold ${event.thresholdMinutes} min)`],
          ["Effect", "rollbacks of this host cannot start until its agent reconnects"],
        ],
        ...optionalLink(consoleLink(consoleUrl, `hosts/${encodeURIComponent(event.host)}`)),
      };
    case "backup.stale":
      return {
        host: event.host,
        severity: "warning",
        what: event.backupAt === undefined ? "NO backup" : `newest backup is ${event.ageHours} h old`,
        detail: `limit ${event.thresholdHours} h`,
        facts: [
          ["Newest backup", event.backupId ?? "none"],
          ["Taken at", event.backupAt ?? "never"],
          ["Age", event.backupAt === undefined ? undefined : `${event.ageHours} h (threshold ${event.thresholdHours} h)`],
          ["Effect", "a rollback would restore data this old, or cannot run at all"],
        ],
        ...optionalLink(consoleLink(consoleUrl, `hosts/${encodeURIComponent(event.host)}`)),
      };
  }
}

function rollbackParts(event: { host: string; rollbackId: string }, consoleUrl: string | undefined): Pick<Parts, "host" | "link"> {
  return { host: event.host, ...optionalLink(consoleLink(consoleUrl, `rollbacks/${encodeURIComponent(event.rollbackId)}`)) };
}

function optionalLink(link: string | undefined): Pick<Parts, "link"> {
  return link === undefined ? {} : { link };
}

function smsText(parts: Parts): string {
  const link = parts.link !== undefined && parts.link.length <= smsLinkLimit ? ascii(parts.link) : undefined;
  const tail = link === undefined ? "" : ` ${link}`;
  const head = ascii(`Rewind ${parts.host}: ${parts.what}`);
  const detail = parts.detail === undefined ? "" : ascii(parts.detail);
  const budget = smsLimit - tail.length;
  const body = detail === "" ? `${head}.` : `${head}: ${detail}`;
  return `${clip(body, budget)}${tail}`;
}

function emailText(type: NotifyEventType, parts: Parts): string {
  const lines = [
    `Rewind ${parts.host}: ${parts.what}`,
    "",
    ...parts.facts.filter((fact): fact is readonly [string, string] => fact[1] !== undefined).map(([name, value]) => `${name}: ${value}`),
    `Host: ${parts.host}`,
    `Severity: ${parts.severity}`,
  ];
  if (parts.link !== undefined) lines.push("", `Open in the console: ${parts.link}`);
  lines.push("", `You receive this because your SNS subscription matches event "${type}".`);
  return lines.join("\n");
}

/** SMS and subjects stay in printable ASCII: one non-GSM character turns an SMS into 70-char UCS-2 segments. */
function ascii(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2013\u2014]/g, "-")
    .replace(/\u2026/g, "...")
    .replace(/\s+/g, " ")
    .replace(/[^\x20-\x7e]/g, "?")
    .trim();
}

function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, Math.max(0, limit - 3)).trimEnd()}...`;
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m ${String(seconds % 60).padStart(2, "0")}s`;
}
