// The one HTTP client against a real local HTTP server: the server's error body keeps its code and
// details, a proxy's page gets a code from its status, text GETs, bearer tokens, and timeouts.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as z from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient } from "./api-client.ts";

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === "/conflict") {
      response.writeHead(409, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: { code: "CONFLICT", message: "busy", details: { rollbackId: "rb-1" } } }));
    } else if (request.url === "/proxy") {
      response.writeHead(502, { "content-type": "text/html" });
      response.end("<html>bad gateway</html>");
    } else if (request.url === "/elsewhere") {
      response.writeHead(404, { "content-type": "text/html" });
      response.end("<!DOCTYPE HTML>\n<html>\n  <h1>Not Found</h1>\n</html>\n");
    } else if (request.url === "/slow") {
      setTimeout(() => response.end("{}"), 2000);
    } else if (request.url === "/text?from=0") {
      response.end(`token=${request.headers.authorization ?? "none"}\n`);
    } else {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ answer: 42 }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("ApiClient", () => {
  it("parses answers with the schema and refuses one that does not fit", async () => {
    const client = new ApiClient({ url });
    expect(await client.get("/ok", z.object({ answer: z.number() }))).toEqual({ answer: 42 });
    await expect(client.get("/ok", z.object({ answer: z.string() }))).rejects.toMatchObject({ code: "MALFORMED" });
  });

  it("keeps the server's error code and details; a proxy's page gets a code from its status", async () => {
    const client = new ApiClient({ url });
    await expect(client.post("/conflict", z.unknown())).rejects.toMatchObject({ code: "CONFLICT", message: "busy", details: { rollbackId: "rb-1" } });
    await expect(client.get("/proxy", z.unknown())).rejects.toMatchObject({ code: "UNAVAILABLE", message: expect.stringContaining("HTTP 502") });
  });

  it("a bare 404 page (a URL that is not the control plane) is no usable answer, in one line, not NOT_FOUND", async () => {
    await expect(new ApiClient({ url }).get("/elsewhere", z.unknown())).rejects.toMatchObject({
      code: "UNAVAILABLE",
      message: `GET /elsewhere answered HTTP 404 without the control plane's error body (is ${url.replace(/\/$/, "")} the control plane?): <!DOCTYPE HTML> <html> <h1>Not Found</h1> </html>`,
    });
  });

  it("text GETs carry the bearer token", async () => {
    expect(await new ApiClient({ url, token: "secret" }).text("/text?from=0")).toBe("token=Bearer secret\n");
  });

  it("an answer that takes too long is UNAVAILABLE, retryable", async () => {
    await expect(new ApiClient({ url, timeoutMs: 200 }).get("/slow", z.unknown())).rejects.toMatchObject({
      code: "UNAVAILABLE",
      retryable: true,
      message: expect.stringContaining("no answer within 0.2 s"),
    });
  });
});
