// Free loopback ports for test servers that cannot listen on port 0 themselves. The helper lives
// with the demo stack (which publishes container ports with it); tests import it from here.
export { freePort } from "../../infra/demo-stack/free-port.ts";
