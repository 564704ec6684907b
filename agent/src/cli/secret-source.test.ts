import { describe, expect, it } from "vitest";
import { requireSafeEnrollUrl } from "./secret-source.ts";

describe("the enrollment URL", () => {
  it.each(["https://rewind.example.com", "http://127.0.0.1:8787", "http://localhost:8787", "http://[::1]:8787"])("accepts %s", (url) => {
    expect(() => requireSafeEnrollUrl(url)).not.toThrow();
  });

  it.each(["http://rewind.example.com", "http://10.0.0.5:8787", "http://127.0.0.1.nip.io", "ftp://rewind.example.com", "rewind.example.com"])(
    "refuses %s",
    (url) => {
      expect(() => requireSafeEnrollUrl(url)).toThrow(/refusing to enroll|absolute URL/);
    },
  );
});
