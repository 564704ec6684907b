// The demo stack's compose file, as a release of the demo application commits it: the seed's shape
// (MinIO with its data volume, backend, frontend, pdf-worker; postgres on a real host). The demo and
// the tests render it per run (free ports, the run's labels on every container, network and volume,
// the run's image tags); infra/demo-stack/compose.yaml is the rendering for the seed's own ports.
import { demoImageTag } from "./images.ts";
import { appServices, containerPorts, type DemoService, type DemoVersion, demoServices, demoVersions, healthCheck } from "./services.ts";
import { renderYaml, type YamlMap } from "./yaml.ts";

export const httpServices = ["minio", "backend", "frontend"] as const;
export type HttpService = (typeof httpServices)[number];

export type ImageTags = Record<DemoVersion, Record<DemoService, string>>;

/**
 * Where the project's PostgreSQL is: `profile-full` is the seed's `postgres` service (started with
 * `--profile full`; its image cannot be pulled here), `stand-in` a long-running busybox container
 * in its place (a service the rollback must keep running), `none` the world's host cluster only.
 */
export type DatabaseService = "profile-full" | "stand-in" | "none";

export interface ComposeFileOptions {
  /** The release: the app services' images and their SCHEDGEN_RELEASE. */
  version: DemoVersion;
  images: ImageTags;
  /** Host ports published on 127.0.0.1; they stay the same across releases. */
  ports: Record<HttpService, number>;
  /** Put on every service, the default network and every volume (e.g. the test run's labels). */
  labels: Record<string, string>;
  /** Add `build: ./<service>` (the checkout holds each service's build context). */
  buildContexts: boolean;
  database: DatabaseService;
}

/** The environment value a release sets on the app services: a configuration change, not an image one. */
export const RELEASE_ENV = "SCHEDGEN_RELEASE";

const seedPorts: Record<HttpService, number> = { minio: 9000, backend: 3001, frontend: 8080 };

export function sharedImageTags(): ImageTags {
  const tags = (version: DemoVersion) =>
    Object.fromEntries(demoServices.map((service) => [service, demoImageTag(service, version)])) as Record<DemoService, string>;
  return Object.fromEntries(demoVersions.map((version) => [version, tags(version)])) as ImageTags;
}

/** Compose interpolates `$VAR` in every value; `$$` is a literal dollar. */
function literal(text: string): string {
  return text.replaceAll("$", () => "$$");
}

const healthTiming = { interval: "1s", timeout: "2s", retries: 3 };

function labelled(labels: Record<string, string>): YamlMap {
  return Object.keys(labels).length === 0 ? {} : { labels: { ...labels } };
}

function postgresService(options: ComposeFileOptions): YamlMap | undefined {
  if (options.database === "none") return undefined;
  if (options.database === "stand-in") {
    // Any busybox image will do: the MinIO one's own health check (`test -d /data`) passes at once.
    return { image: options.images.v1.minio, init: true, command: ["sh", "-c", "exec sleep 100000"], ...labelled(options.labels) };
  }
  return {
    profiles: ["full"],
    image: "postgres:15",
    environment: { POSTGRES_USER: "schedgen", POSTGRES_PASSWORD: "schedgen", POSTGRES_DB: "schedgen" },
    ...labelled(options.labels),
    volumes: ["postgres_data:/var/lib/postgresql/data"],
    healthcheck: { test: ["CMD-SHELL", "pg_isready -U schedgen -d schedgen"], interval: "1s", retries: 3 },
  };
}

const dependsOn: Record<DemoService, DemoService[]> = { minio: [], backend: ["minio"], frontend: ["backend"], "pdf-worker": ["minio"] };

function demoService(service: DemoService, options: ComposeFileOptions): YamlMap {
  const app = appServices.includes(service);
  const port = containerPorts[service];
  const hostPort = (httpServices as readonly string[]).includes(service) ? options.ports[service as HttpService] : undefined;
  return {
    ...(options.buildContexts ? { build: `./${service}` } : {}),
    // Infrastructure is pinned; a release changes the application services.
    image: options.images[app ? options.version : "v1"][service],
    // busybox httpd as PID 1 ignores SIGTERM; an init process makes graceful stops quick.
    init: true,
    ...(app ? { environment: { [RELEASE_ENV]: options.version } } : {}),
    ...(dependsOn[service].length > 0 ? { depends_on: dependsOn[service] } : {}),
    ...labelled(options.labels),
    ...(port !== undefined && hostPort !== undefined ? { ports: [`127.0.0.1:${hostPort}:${port}`] } : {}),
    ...(service === "minio" ? { volumes: ["minio_data:/data"] } : {}),
    healthcheck: { test: ["CMD-SHELL", literal(healthCheck(service))], ...healthTiming },
  };
}

export function demoComposeDocument(options: ComposeFileOptions): YamlMap {
  const postgres = postgresService(options);
  const services: YamlMap = postgres === undefined ? {} : { postgres };
  for (const service of demoServices) services[service] = demoService(service, options);
  const volumes: YamlMap = options.database === "profile-full" ? { postgres_data: labelled(options.labels) } : {};
  volumes.minio_data = labelled(options.labels);
  const networks: YamlMap = Object.keys(options.labels).length === 0 ? {} : { networks: { default: labelled(options.labels) } };
  return { services, ...networks, volumes };
}

export function renderDemoCompose(options: ComposeFileOptions): string {
  return renderYaml(demoComposeDocument(options), 2);
}

/** The head comment of infra/demo-stack/compose.yaml, kept above the seed-ports rendering. */
const committedComposeHeader = `# The demo application as one Compose project (project name: schedgen), rendered by
# infra/demo-stack/compose-file.ts for the seed's ports; test/unit/demo-compose.test.ts keeps this file
# equal to that rendering. The demo and the tests run it with a real Compose (\`docker compose\`, or
# Debian's docker-compose 1.29) from a per-run copy: free ports, the run's labels, its image tags.
# Images are built FROM scratch with busybox-static by infra/demo-stack/images.ts (no registry):
#   rewind-demo/<service>:v1  the good release (every health check passes)
#   rewind-demo/<service>:v2  the bad deploy (backend /health is 404, frontend has no index.html,
#                             pdf-worker never writes its heartbeat), which a rollback undoes.
# In the local world PostgreSQL is a throwaway cluster on the host, which the agent reaches by URL;
# on a real host it is the \`postgres\` service below (profile \`full\`).
# Health intervals are 1s so tests are quick; retries=3 is the seed's "3 consecutive failures".
`;

export function committedCompose(): string {
  return `${committedComposeHeader}\n${renderDemoCompose({
    version: "v1",
    images: sharedImageTags(),
    ports: seedPorts,
    labels: {},
    buildContexts: false,
    database: "profile-full",
  })}`;
}
