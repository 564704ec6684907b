// Free loopback ports for servers that cannot listen on port 0 themselves (postgres, containers'
// published ports): the OS picks one, we release it and hand the number over.
import { createServer } from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object") resolve(address.port);
        else reject(new TypeError("listening socket has no port"));
      });
    });
  });
}
