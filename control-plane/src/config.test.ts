import { describe, expect, it } from "vitest";
import { isRewindError } from "../../shared/errors.ts";
import { heartbeatIntervalMs } from "../../shared/heartbeat.ts";
import { generateSigningKey } from "../../shared/signing.ts";
import { minAgentTimeoutSeconds } from "./agent-timeout.ts";
import { parseConfig } from "./config.ts";
import type { Env } from "./env.ts";
import { s3AttemptTimeoutMs, s3MaxAttempts } from "./storage/s3-bounds.ts";

async function env(overrides: Record<string, string | undefined> = {}): Promise<Env> {
  const key = await generateSigningKey("cp-1");
  return {
    SIGNING_KEYS: JSON.stringify([key.privateJwk]),
    ADMIN_TOKEN: "a-long-enough-admin-token-123",
    ...overrides,
  } as unknown as Env;
}

function fieldOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    if (isRewindError(error, "CONFIG_INVALID")) return error.details?.field;
    throw error;
  }
  throw new Error("expected CONFIG_INVALID");
}

describe("control plane config", () => {
  it("parses a minimal config into a frozen object with defaults", async () => {
    const config = parseConfig(await env({ PUBLIC_URL: "https://rewind.example.com" }));
    expect(Object.isFrozen(config)).toBe(true);
    expect(config.signingKeys.map((k) => k.kid)).toEqual(["cp-1"]);
    expect(config.auditOrigin).toBe("rewind.example.com");
    expect(config.s3).toBeUndefined();
  });

  it("shows a host that went silent offline within 30 s, tolerating one lost heartbeat", async () => {
    const config = parseConfig(await env());
    expect(config.agentTimeoutMs).toBeLessThanOrEqual(30_000);
    expect(config.agentTimeoutMs).toBeGreaterThan(2 * heartbeatIntervalMs);
  });

  it("refuses an agent timeout a live host could outlast: one lost heartbeat, or a frame held by a stalled S3 call", async () => {
    const tooShort = await env({ AGENT_TIMEOUT_SECONDS: String(minAgentTimeoutSeconds - 1) });
    expect(fieldOf(() => parseConfig(tooShort))).toBe("AGENT_TIMEOUT_SECONDS");
    expect(() => parseConfig(tooShort)).toThrow(`AGENT_TIMEOUT_SECONDS: must be at least ${minAgentTimeoutSeconds} s`);
    for (const seconds of ["1", "11"]) {
      const short = await env({ AGENT_TIMEOUT_SECONDS: seconds });
      expect(fieldOf(() => parseConfig(short))).toBe("AGENT_TIMEOUT_SECONDS");
    }
    expect(parseConfig(await env({ AGENT_TIMEOUT_SECONDS: String(minAgentTimeoutSeconds) })).agentTimeoutMs).toBe(minAgentTimeoutSeconds * 1000);
    // Every try of one S3 call ends before the socket counts as silent, as do two heartbeat intervals.
    expect(minAgentTimeoutSeconds * 1000).toBeGreaterThan(s3MaxAttempts * s3AttemptTimeoutMs + 500);
    expect(minAgentTimeoutSeconds * 1000).toBeGreaterThan(2 * heartbeatIntervalMs);
  });

  it("gives a rollback's command 15 minutes unless set, within the limits every command has", async () => {
    expect(parseConfig(await env()).rollbackCommandTtlSeconds).toBe(900);
    expect(parseConfig(await env({ ROLLBACK_COMMAND_TTL_SECONDS: "45" })).rollbackCommandTtlSeconds).toBe(45);
    const tooShort = await env({ ROLLBACK_COMMAND_TTL_SECONDS: "5" });
    expect(fieldOf(() => parseConfig(tooShort))).toBe("ROLLBACK_COMMAND_TTL_SECONDS");
    const tooLong = await env({ ROLLBACK_COMMAND_TTL_SECONDS: String(2 * 24 * 3600) });
    expect(fieldOf(() => parseConfig(tooLong))).toBe("ROLLBACK_COMMAND_TTL_SECONDS");
  });

  it("lets one token mint 120 enrollments a minute unless set, at least 1", async () => {
    expect(parseConfig(await env()).enrollmentsPerTokenPerMinute).toBe(120);
    expect(parseConfig(await env({ ENROLLMENTS_PER_TOKEN_PER_MINUTE: "1000" })).enrollmentsPerTokenPerMinute).toBe(1000);
    for (const bad of ["0", "1.5", "many"]) {
      const invalid = await env({ ENROLLMENTS_PER_TOKEN_PER_MINUTE: bad });
      expect(fieldOf(() => parseConfig(invalid))).toBe("ENROLLMENTS_PER_TOKEN_PER_MINUTE");
    }
  });

  it("names the bad field, down to the array index", async () => {
    expect(fieldOf(() => parseConfig({} as Env))).toBe("SIGNING_KEYS");
    const notJson = await env({ SIGNING_KEYS: "nope" });
    expect(fieldOf(() => parseConfig(notJson))).toBe("SIGNING_KEYS");
    const missingKid = await env({ SIGNING_KEYS: JSON.stringify([{ kty: "OKP", crv: "Ed25519", x: "abc", d: "def" }]) });
    expect(fieldOf(() => parseConfig(missingKid))).toBe("SIGNING_KEYS.0.kid");
    const badUrl = await env({ PUBLIC_URL: "not a url" });
    expect(fieldOf(() => parseConfig(badUrl))).toBe("PUBLIC_URL");
  });

  it("requires the whole S3 group once any part is set, and takes the SNS region from the ARN", async () => {
    const partial = await env({ S3_BUCKET: "rewind" });
    expect(fieldOf(() => parseConfig(partial))).toBe("S3_ACCESS_KEY_ID");
    const full = parseConfig(
      await env({
        S3_ENDPOINT: "http://127.0.0.1:9000",
        S3_BUCKET: "rewind",
        S3_ACCESS_KEY_ID: "id",
        S3_SECRET_ACCESS_KEY: "secret",
        SNS_TOPIC_ARN: "arn:aws:sns:eu-west-1:000000000000:rewind",
        SNS_ACCESS_KEY_ID: "sns-id",
        SNS_SECRET_ACCESS_KEY: "sns-secret",
      }),
    );
    expect(full.s3).toEqual({ endpoint: "http://127.0.0.1:9000", region: "us-east-1", bucket: "rewind", accessKeyId: "id", secretAccessKey: "secret" });
    expect(full.sns?.region).toBe("eu-west-1");
    expect(full.sns?.credentials).toEqual({ accessKeyId: "sns-id", secretAccessKey: "sns-secret" });
  });

  it("requires SNS credentials once a topic is set (a Worker has no ambient AWS credentials)", async () => {
    const topic = "arn:aws:sns:eu-west-1:000000000000:rewind";
    const noKeys = await env({ SNS_TOPIC_ARN: topic });
    expect(fieldOf(() => parseConfig(noKeys))).toBe("SNS_ACCESS_KEY_ID");
    const noSecret = await env({ SNS_TOPIC_ARN: topic, SNS_ACCESS_KEY_ID: "id" });
    expect(fieldOf(() => parseConfig(noSecret))).toBe("SNS_SECRET_ACCESS_KEY");
  });

  it("refuses a short admin token without echoing it", async () => {
    const e = await env({ ADMIN_TOKEN: "short-secret" });
    expect(fieldOf(() => parseConfig(e))).toBe("ADMIN_TOKEN");
    try {
      parseConfig(e);
    } catch (error) {
      expect(String(error)).not.toContain("short-secret");
    }
  });
});
