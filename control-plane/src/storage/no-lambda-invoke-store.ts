// Stands in for @aws/lambda-invoke-store in the Worker bundle (see scripts/worker-bundle-trims.ts).
// The SDK's recursion-detection middleware asks it for the running AWS Lambda invocation's trace
// headers; a Worker never runs inside a Lambda invocation, and the middleware treats "no store" as
// "no trace to forward", which is what the real store answers outside Lambda.
export const InvokeStore = {
  getInstanceAsync: async (): Promise<undefined> => undefined,
};
