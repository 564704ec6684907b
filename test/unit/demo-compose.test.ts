// The demo stack's compose file: what the checked-in compose.yaml says is what the demo and tests run,
// every object Compose creates for a run carries the run's labels, and a release is a compose change.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type ComposeFileOptions, committedCompose, demoComposeDocument, sharedImageTags } from "../../infra/demo-stack/compose-file.ts";
import { appServices, buildContext, demoServices } from "../../infra/demo-stack/services.ts";
import { renderYaml, type YamlMap } from "../../infra/demo-stack/yaml.ts";

const composeFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../infra/demo-stack/compose.yaml");
const labels = { "rewind.test": "1", "rewind.test.run": "run42" };
const perRun: ComposeFileOptions = {
  version: "v1",
  images: sharedImageTags(),
  ports: { minio: 41001, backend: 41002, frontend: 41003 },
  labels,
  buildContexts: true,
  database: "stand-in",
};

const services = (document: YamlMap) => document.services as Record<string, YamlMap>;

describe("infra/demo-stack/compose.yaml", () => {
  it("is the compose file the stack renders, for the seed's ports", async () => {
    expect(await readFile(composeFile, "utf8")).toBe(committedCompose());
  });

  it.each(demoServices)("runs %s with the health check its image declares, `$` escaped for Compose", (service) => {
    const health = /HEALTHCHECK .* CMD (.*)/.exec(buildContext(service, "v1").dockerfile)?.[1];
    const test = (services(demoComposeDocument(perRun))[service]?.healthcheck as YamlMap | undefined)?.test;
    expect(test).toEqual(["CMD-SHELL", health?.replaceAll("$", () => "$$")]);
  });
});

describe("a run's compose file", () => {
  it("labels every service, the default network and every volume with the run's labels", () => {
    const document = demoComposeDocument(perRun);
    expect(Object.keys(services(document)).sort()).toEqual(["backend", "frontend", "minio", "pdf-worker", "postgres"]);
    for (const service of Object.values(services(document))) expect(service.labels).toEqual(labels);
    expect(document.networks).toEqual({ default: { labels } });
    expect(document.volumes).toEqual({ minio_data: { labels } });
  });

  it("publishes the run's ports on loopback and builds from the checkout's contexts", () => {
    const backend = services(demoComposeDocument(perRun)).backend;
    expect(backend?.ports).toEqual(["127.0.0.1:41002:3001"]);
    expect(backend?.build).toBe("./backend");
  });

  it("changes the app services' images and SCHEDGEN_RELEASE in v2, and nothing of MinIO", () => {
    const v1 = services(demoComposeDocument(perRun));
    const v2 = services(demoComposeDocument({ ...perRun, version: "v2" }));
    for (const service of appServices) {
      expect(v1[service]?.image).toBe(`rewind-demo/${service}:v1`);
      expect(v2[service]?.image).toBe(`rewind-demo/${service}:v2`);
      expect(v2[service]?.environment).toEqual({ SCHEDGEN_RELEASE: "v2" });
    }
    expect(v2.minio).toEqual(v1.minio);
    expect(v2.postgres).toEqual(v1.postgres);
  });
});

describe("renderYaml", () => {
  it("quotes every string and any key YAML would read as another type", () => {
    expect(renderYaml({ a: { on: "yes", ports: ["3001:3001", 7], count: 1, ok: true, empty: {} } })).toBe(
      'a:\n  "on": "yes"\n  ports: ["3001:3001", 7]\n  count: 1\n  ok: true\n  empty: {}\n',
    );
  });
});
