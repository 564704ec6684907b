// The shipped Prometheus rules, Alertmanager receiver and Grafana contact point must produce what
// the policy reads: each rule's alert, labelled as its metrics are (host, environment), is decided
// as the seed's trigger it implements; the webhooks point at the routes this module serves.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defaultAlertPolicyConfig } from "../../control-plane/src/policy/config.ts";
import { decide } from "../../control-plane/src/policy/decide.ts";
import { signalsFromAlertmanager } from "../../control-plane/src/policy/normalize.ts";
import { emptyPolicyState } from "../../control-plane/src/policy/state.ts";

const read = (file: string): string => readFileSync(new URL(`../../infra/${file}`, import.meta.url), "utf8");

interface Rule {
  alert: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** The rule file's `- alert:` blocks with their flat `labels:` and `annotations:` maps. */
function rules(yaml: string): Rule[] {
  return yaml
    .split(/^\s+- alert: /m)
    .slice(1)
    .map((block) => {
      const [name = "", ...lines] = block.split("\n");
      const rule: Rule = { alert: name.trim(), labels: {}, annotations: {} };
      let section: "labels" | "annotations" | undefined;
      for (const line of lines) {
        const header = line.match(/^\s{8}(labels|annotations):\s*$/);
        if (header) {
          section = header[1] as "labels" | "annotations";
          continue;
        }
        const entry = line.match(/^\s{10}([a-z_]+):\s*"?(.*?)"?\s*$/);
        if (section !== undefined && entry?.[1] !== undefined && entry[2] !== undefined) rule[section][entry[1]] = entry[2];
        else if (/^\s{0,8}\S/.test(line)) section = undefined;
      }
      return rule;
    });
}

/** What Prometheus renders when the rule fires with `value` (templates reduced to the value). */
function render(text: string, value: number): string {
  return text.replace(/\{\{\s*\$value[^}]*\}\}/g, String(value)).replace(/\{\{[^}]*\}\}/g, "x");
}

const firingValue: Record<string, number> = {
  HealthCheckFailures: 3,
  HighErrorRate: 0.142,
  DeploymentFailed: 1,
  DeploymentVerificationFailed: 1,
  SlowResponses: 12,
};
const expected: Record<string, string> = {
  HealthCheckFailures: "HEALTH_CHECK_FAILURES",
  HighErrorRate: "ERROR_RATE",
  DeploymentFailed: "DEPLOY_FAILED",
  DeploymentVerificationFailed: "VERIFY_FAILED",
  SlowResponses: "NOT_A_TRIGGER",
};

function decideRule(rule: Rule, environment: string, value: number) {
  const labels = { alertname: rule.alert, host: "app-1", environment, service: "backend", ...rule.labels };
  const annotations = Object.fromEntries(Object.entries(rule.annotations).map(([name, text]) => [name, render(text, value)]));
  const [signal] = signalsFromAlertmanager({
    version: "4",
    groupKey: "{}:{}",
    status: "firing",
    receiver: "rewind",
    externalURL: "http://alertmanager:9093",
    alerts: [{ status: "firing", labels, annotations, startsAt: "2026-11-25T10:00:00Z", fingerprint: "00000000000000aa" }],
  });
  if (signal === undefined) throw new TypeError("no signal");
  return decide(signal, emptyPolicyState(), defaultAlertPolicyConfig, new Date("2026-11-25T10:05:00Z"));
}

describe("infra/prometheus/rewind-rules.yml", () => {
  const shipped = rules(read("prometheus/rewind-rules.yml"));

  it("ships one rule per seed trigger, and a paged-only one", () => {
    expect(shipped.map((rule) => rule.alert).sort()).toEqual(Object.keys(expected).sort());
    expect(shipped.find((rule) => rule.alert === "HealthCheckFailures")).toMatchObject({
      labels: { severity: "critical", rewind_trigger: "health-check" },
      annotations: { consecutive_failures: "{{ $value }}" },
    });
    expect(shipped.find((rule) => rule.alert === "HighErrorRate")?.annotations.value).toBe("{{ $value }}");
  });

  it.each(Object.entries(expected))("%s fires as %s in production", (alert, code) => {
    const rule = shipped.find((r) => r.alert === alert);
    if (rule === undefined) throw new TypeError(`no rule ${alert}`);
    const decision = decideRule(rule, "production", firingValue[alert] ?? 1);
    expect(decision.code).toBe(code);
    expect(decision.decision).toBe(code === "NOT_A_TRIGGER" ? "none" : "rollback");
  });

  it("the same alerts from staging roll nothing back", () => {
    for (const rule of shipped) expect(decideRule(rule, "staging", firingValue[rule.alert] ?? 1).decision).toBe("none");
  });
});

describe("webhook receivers", () => {
  it("Alertmanager posts to /v1/alerts/alertmanager with resolved alerts and a bearer token file", () => {
    const config = read("alertmanager/alertmanager.yml");
    expect(config).toMatch(/url: https:\/\/[^\s]+\/v1\/alerts\/alertmanager\s/);
    expect(config).toMatch(/send_resolved: true/);
    expect(config).toMatch(/type: Bearer\s+credentials_file: /);
  });

  it("Grafana posts to /v1/alerts/grafana with a bearer token", () => {
    const config = read("grafana/contact-point.yaml");
    expect(config).toMatch(/url: https:\/\/[^\s]+\/v1\/alerts\/grafana\s/);
    expect(config).toMatch(/authorization_scheme: Bearer/);
  });
});
