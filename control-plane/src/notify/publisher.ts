// Publishes rendered notifications to an SNS topic (@aws-sdk/client-sns), retrying with backoff.
// It never throws into its caller: a rollback must not fail because a pager did; the outcome is
// returned for the caller to record in the audit log. Without a topic it only logs.
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { FetchHttpHandler } from "@smithy/fetch-http-handler";
import { log } from "../log.ts";
import { messageAttributes, messageStructure, type RenderedMessage } from "./messages.ts";
import { parseRetryPolicy, type RetryPolicy, retryDelays } from "./retry.ts";

export interface SnsTarget {
  topicArn: string;
  region: string;
  endpoint?: string;
  /** Always explicit: a Worker has no ambient AWS credential source (no instance role, no ~/.aws). */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export type PublishOutcome =
  | { status: "published"; messageId: string; attempts: number }
  | { status: "logged"; reason: "sns-not-configured" }
  | { status: "failed"; attempts: number; code: string; message: string };

export interface Publisher {
  publish(message: RenderedMessage): Promise<PublishOutcome>;
}

type LogFn = (event: string, fields: Record<string, unknown>) => void;

export interface PublisherOptions {
  /** Absent: notifications are logged only. */
  target?: SnsTarget;
  retry?: RetryPolicy;
  /** Injected in tests; a Worker waits with setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  info?: LogFn;
  warn?: LogFn;
}

export function createPublisher(options: PublisherOptions): Publisher {
  const info = options.info ?? log.info;
  const warn = options.warn ?? log.warn;
  const { target } = options;
  if (target === undefined) {
    return {
      publish: async (message) => {
        info("notify.logged", { notification: message.event, host: message.host, severity: message.severity, sms: message.sms });
        return { status: "logged", reason: "sns-not-configured" };
      },
    };
  }
  const delays = retryDelays(options.retry ?? parseRetryPolicy());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let client: SNSClient | undefined;
  // Built on first use, inside publish: a bundle that breaks the SDK (see
  // test/integration/notify-workerd.test.ts) then fails one notification softly, not the Worker.
  const clientFor = (sns: SnsTarget): SNSClient =>
    new SNSClient({
      region: sns.region,
      credentials: sns.credentials,
      ...(sns.endpoint === undefined ? {} : { endpoint: sns.endpoint }),
      // Our loop owns retries, so attempts are counted once and reported in the outcome.
      maxAttempts: 1,
      // fetch, not the SDK's node:http handler: under workerd's nodejs_compat a refused connection
      // through node:http escapes as an uncaught "Network connection lost" that fails the whole
      // request instead of rejecting send(); fetch rejects where we can catch it, on Node too.
      requestHandler: new FetchHttpHandler({ requestTimeout: 10_000 }),
    });

  return {
    publish: async (message) => {
      try {
        client ??= clientFor(target);
      } catch (error) {
        const failure = { code: "SNS_CLIENT_UNAVAILABLE", message: error instanceof Error ? error.message : String(error) };
        warn("notify.failed", { notification: message.event, host: message.host, attempts: 0, ...failure });
        return { status: "failed", attempts: 0, ...failure };
      }
      const sns = client;
      const command = new PublishCommand({
        TopicArn: target.topicArn,
        MessageStructure: "json",
        Message: messageStructure(message),
        Subject: message.subject,
        MessageAttributes: messageAttributes(message),
      });
      let attempts = 0;
      for (;;) {
        attempts += 1;
        try {
          const result = await sns.send(command);
          info("notify.published", { notification: message.event, host: message.host, messageId: result.MessageId, attempts });
          return { status: "published", messageId: result.MessageId ?? "", attempts };
        } catch (error) {
          const failure = describeFailure(error);
          const delay = delays[attempts - 1];
          if (!failure.retryable || delay === undefined) {
            warn("notify.failed", { notification: message.event, host: message.host, attempts, ...failure });
            return { status: "failed", attempts, code: failure.code, message: failure.message };
          }
          warn("notify.retrying", { notification: message.event, host: message.host, attempts, delayMs: delay, ...failure });
          await sleep(delay);
        }
      }
    },
  };
}

interface Failure {
  code: string;
  message: string;
  retryable: boolean;
}

// The SDK marks service errors with $fault; a client fault (bad ARN, no permission, unknown topic)
// fails the same way on every try, except throttling. An error carrying the raw $response but no
// $fault means SNS answered and the SDK could not read the answer (e.g. a bundle whose XML parser
// needs DOMParser, which workerd lacks): the message may well be published, so retrying would
// duplicate it. Anything else is a network failure: fetch's TypeError, whose cause (on Node)
// carries the socket's code, e.g. ECONNREFUSED.
function describeFailure(error: unknown): Failure {
  if (!(error instanceof Error)) return { code: "UNKNOWN", message: String(error), retryable: true };
  const meta = error as Error & { $fault?: unknown; $retryable?: { throttling?: boolean }; code?: unknown };
  if (meta.$fault === undefined && "$response" in error) {
    return { code: "RESPONSE_UNREADABLE", message: error.message, retryable: false };
  }
  if (meta.$fault === undefined) {
    const cause = error.cause instanceof Error ? (error.cause as Error & { code?: unknown }) : undefined;
    const code = typeof cause?.code === "string" ? cause.code : "NETWORK_ERROR";
    return { code, message: cause === undefined ? error.message : `${error.message}: ${cause.message}`, retryable: true };
  }
  const code = typeof meta.code === "string" ? meta.code : error.name;
  const clientFault = meta.$fault === "client" && meta.$retryable?.throttling !== true && !/Throttl/.test(error.name);
  return { code, message: error.message || code, retryable: !clientFault };
}
