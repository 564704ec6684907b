// Stands in for @smithy/core/event-streams in the Worker bundle (see scripts/worker-bundle-trims.ts).
// Event streams carry only streaming operations (S3 SelectObjectContent and the like); the control
// plane sends S3 PutObject/GetObject and SNS Publish, none of which has one, so the SDK never loads
// them. The clients still build a marshaller when constructed: this one fails any use, saying why.
// The SDK's marshaller and provider shapes, as far as a client's construction uses them.
interface EventStreamMarshaller {
  serialize(input: unknown, serializer: unknown): never;
  deserialize(body: unknown, deserializer: unknown): never;
}
type EventStreamSerdeProvider = (options: unknown) => EventStreamMarshaller;

function leftOut(): Error {
  return new Error(
    "AWS SDK event streams are left out of the Rewind Worker bundle (scripts/worker-bundle-trims.ts); no control-plane operation streams events",
  );
}

export const eventStreamSerdeProvider: EventStreamSerdeProvider = (): EventStreamMarshaller => ({
  serialize: () => {
    throw leftOut();
  },
  deserialize: () => {
    throw leftOut();
  },
});

/** As the SDK's own: a client's config gets the marshaller its provider builds. */
export function resolveEventStreamSerdeConfig<T extends { eventStreamSerdeProvider: EventStreamSerdeProvider }>(
  input: T,
): T & { eventStreamMarshaller: EventStreamMarshaller } {
  return Object.assign(input, { eventStreamMarshaller: input.eventStreamSerdeProvider(input) });
}

/** Built only by a protocol sending an operation with an event stream member. */
export class EventStreamSerde {
  constructor() {
    throw leftOut();
  }
}
