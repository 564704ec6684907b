// The demo stack's services as data: the seed's application shape (MinIO storage, backend API,
// frontend, PDF worker) in a good version (v1) and a broken deploy (v2) whose app health checks fail.
// Each service is a busybox-static image built FROM scratch, since no image can be pulled here.

export const demoServices = ["minio", "backend", "frontend", "pdf-worker"] as const;
export type DemoService = (typeof demoServices)[number];

export const demoVersions = ["v1", "v2"] as const;
export type DemoVersion = (typeof demoVersions)[number];

/** Infrastructure is started first and stopped last; the seed's postgres runs on the host here. */
export const infraServices: readonly DemoService[] = ["minio"];
export const appServices: readonly DemoService[] = ["backend", "frontend", "pdf-worker"];

/** The port each HTTP service listens on inside its container (the seed's backend is :3001). */
export const containerPorts: Partial<Record<DemoService, number>> = { backend: 3001, frontend: 8080, minio: 9000 };

export const DEMO_BUCKET = "schedgen";

/** Runs `f` for every service concurrently and collects the results by service. */
export async function perService<T>(f: (service: DemoService) => Promise<T>): Promise<Record<DemoService, T>> {
  const [minio, backend, frontend, worker] = await Promise.all([f("minio"), f("backend"), f("frontend"), f("pdf-worker")]);
  return { minio, backend, frontend, "pdf-worker": worker };
}

export interface BuildContext {
  dockerfile: string;
  /** Files copied to the image root, by absolute path inside the image. */
  files: Record<string, string>;
}

interface ServiceSpec {
  files: Record<string, string>;
  /** Shell command Docker runs as the HEALTHCHECK (CMD-SHELL form). */
  health: string;
  cmd: string[];
}

function httpHealth(port: number, urlPath: string): string {
  return `wget -q -O /dev/null http://127.0.0.1:${port}${urlPath}`;
}

function spec(service: DemoService, version: DemoVersion): ServiceSpec {
  const broken = version === "v2";
  switch (service) {
    case "minio":
      return {
        files: {},
        health: "test -d /data",
        cmd: ["sh", "-c", `echo "minio ${version} serving /data"; exec httpd -f -v -p 9000 -h /data`],
      };
    case "backend":
      return {
        // v2 is the bad deploy: its /health route is gone, so the health check gets a 404.
        files: {
          "/www/index.html": `<h1>schedgen backend ${version}</h1>\n`,
          "/www/version": `${version}\n`,
          ...(broken ? {} : { "/www/health": "ok\n" }),
        },
        health: httpHealth(3001, "/health"),
        cmd: ["sh", "-c", `echo "backend ${version} listening on :3001"; exec httpd -f -v -p 3001 -h /www`],
      };
    case "frontend":
      // v2 shipped an empty build: no index.html.
      return {
        files: {
          "/www/version": `${version}\n`,
          ...(broken ? {} : { "/www/index.html": `<!doctype html><title>Schedgen</title><h1>Schedgen ${version}</h1>\n` }),
        },
        health: httpHealth(8080, "/index.html"),
        cmd: ["sh", "-c", `echo "frontend ${version} listening on :8080"; exec httpd -f -v -p 8080 -h /www`],
      };
    case "pdf-worker":
      // v2 never reaches its job loop, so the heartbeat file the health check reads goes stale.
      return {
        files: {
          "/app/worker.sh": broken
            ? 'echo "pdf-worker v2 started"\nwhile true; do echo "pdf-worker v2: job queue unreachable, retrying" >&2; sleep 1; done\n'
            : 'echo "pdf-worker v1 started"\nwhile true; do date +%s > /tmp/heartbeat; sleep 1; done\n',
        },
        health: "test -f /tmp/heartbeat && test $(( $(date +%s) - $(cat /tmp/heartbeat) )) -lt 5",
        cmd: ["sh", "/app/worker.sh"],
      };
  }
}

/** The shell command a service's health check runs (the same in every version). */
export function healthCheck(service: DemoService): string {
  return spec(service, "v1").health;
}

/** The Dockerfile and files for one image; the VERSION file makes v1 and v2 distinct images. */
export function buildContext(service: DemoService, version: DemoVersion): BuildContext {
  const s = spec(service, version);
  const port = containerPorts[service];
  // Short health intervals keep tests fast; retries=3 mirrors the seed's "3 consecutive failures".
  const dockerfile = [
    "FROM scratch",
    "COPY busybox /bin/busybox",
    'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
    'RUN ["/bin/sh", "-c", "mkdir -p /tmp /data && chmod 1777 /tmp"]',
    "COPY rootfs/ /",
    `LABEL rewind.demo.service="${service}" rewind.demo.version="${version}"`,
    ...(port === undefined ? [] : [`EXPOSE ${port}`]),
    `HEALTHCHECK --interval=1s --timeout=2s --retries=3 CMD ${s.health}`,
    `CMD ${JSON.stringify(s.cmd)}`,
    "",
  ].join("\n");
  return { dockerfile, files: { ...s.files, "/VERSION": `${service} ${version}\n` } };
}
