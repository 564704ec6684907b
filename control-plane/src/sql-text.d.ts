// .sql files (Durable Object migrations) are bundled as their text: scripts/build-worker.ts's loader.
declare module "*.sql" {
  const text: string;
  export default text;
}
