// Turns a zod failure into a RewindError whose message names the first bad field path,
// so a 400 or a config error tells the operator exactly what to fix.
import * as z from "./zod.ts";
import { type ErrorCode, RewindError } from "../errors.ts";

/** Takes classic and zod/mini failures alike. */
export function describeIssues(error: { issues: readonly z.core.$ZodIssue[] }): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(root)"}: ${issue.message}`).join("; ");
}

export function parseOrThrow<S extends z.core.$ZodType>(schema: S, value: unknown, what: string, code: ErrorCode = "BAD_REQUEST"): z.output<S> {
  const result = z.safeParse(schema, value);
  if (!result.success) {
    const first = result.error.issues[0];
    throw new RewindError(code, `${what} is invalid: ${describeIssues(result.error)}`, {
      details: { field: first ? first.path.join(".") : "" },
    });
  }
  return result.data;
}
