// A real SNS/SQS-protocol server on loopback (fauxqs) with one topic and one SQS queue subscribed
// to it, envelope delivery on (RawMessageDelivery false) as an SMS/e-mail fan-out would see it.
// Messages are read back through the SQS API with @aws-sdk/client-sqs, not through emulator internals.
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { startFauxqs } from "fauxqs";
import * as z from "zod";

export interface SnsEnvelope {
  messageId: string;
  topicArn: string;
  subject?: string;
  /** The published Message, verbatim. */
  message: string;
  messageAttributes: Record<string, string>;
}

export interface SnsWorld {
  endpoint: string;
  region: string;
  topicArn: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Waits until `count` messages arrived (default 1) and returns them, oldest first, deleted from the queue. */
  receive(options?: { count?: number; timeoutMs?: number }): Promise<SnsEnvelope[]>;
  /** Everything that arrives within `waitMs` (default 1.5 s): for proving nothing extra was sent. */
  receiveAll(waitMs?: number): Promise<SnsEnvelope[]>;
  stop(): Promise<void>;
}

/** The SNS notification envelope an SQS subscriber receives (RawMessageDelivery false). */
const rawEnvelope = z.looseObject({
  Type: z.literal("Notification"),
  MessageId: z.string(),
  TopicArn: z.string(),
  Subject: z.string().optional(),
  Message: z.string(),
  MessageAttributes: z.record(z.string(), z.object({ Type: z.string(), Value: z.string() })).optional(),
});

export async function startSns(): Promise<SnsWorld> {
  const region = "us-east-1";
  const server = await startFauxqs({ port: 0, host: "127.0.0.1", logger: false, defaultRegion: region });
  const endpoint = `http://127.0.0.1:${server.port}`;
  const suffix = Math.random().toString(36).slice(2, 10);
  const { topicArn } = server.createTopic(`rewind-notify-${suffix}`);
  const queue = server.createQueue(`rewind-notify-inbox-${suffix}`);
  server.subscribe({ topic: `rewind-notify-${suffix}`, queue: queue.queueName, attributes: { RawMessageDelivery: "false" } });
  const credentials = { accessKeyId: "rewind-test", secretAccessKey: "rewind-test-secret" };
  const sqs = new SQSClient({ endpoint, region, credentials });
  const queueUrl = queue.queueUrl;

  async function receiveBatch(): Promise<SnsEnvelope[]> {
    const batch = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ["All"] }),
    );
    const messages = batch.Messages ?? [];
    const entries = messages.flatMap((message, index) =>
      message.ReceiptHandle === undefined ? [] : [{ Id: String(index), ReceiptHandle: message.ReceiptHandle }],
    );
    if (entries.length > 0) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    return messages.map((message) => parseEnvelope(message.Body ?? ""));
  }

  async function receive(options: { count?: number; timeoutMs?: number } = {}): Promise<SnsEnvelope[]> {
    const count = options.count ?? 1;
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    const received: SnsEnvelope[] = [];
    while (received.length < count) {
      if (Date.now() > deadline) {
        throw new Error(`SNS world: expected ${count} message(s) on the subscribed queue, got ${received.length}`);
      }
      received.push(...(await receiveBatch()));
    }
    return received;
  }

  async function receiveAll(waitMs = 1500): Promise<SnsEnvelope[]> {
    const deadline = Date.now() + waitMs;
    const received: SnsEnvelope[] = [];
    while (Date.now() < deadline) received.push(...(await receiveBatch()));
    return received;
  }

  return {
    endpoint,
    region,
    topicArn,
    credentials,
    receive,
    receiveAll,
    stop: async () => {
      sqs.destroy();
      await server.stop();
    },
  };
}

function parseEnvelope(body: string): SnsEnvelope {
  const raw = rawEnvelope.parse(JSON.parse(body));
  return {
    messageId: raw.MessageId,
    topicArn: raw.TopicArn,
    ...(raw.Subject === undefined ? {} : { subject: raw.Subject }),
    message: raw.Message,
    messageAttributes: Object.fromEntries(Object.entries(raw.MessageAttributes ?? {}).map(([name, value]) => [name, value.Value])),
  };
}
