// Keeps an open socket honest: sends a heartbeat every interval and declares the socket dead when
// nothing at all (frame, pong) arrived for `timeoutMs`. A half-open TCP connection (NAT dropped,
// control plane restarted without a FIN reaching us) is otherwise only noticed after minutes.

export interface HeartbeatOptions {
  intervalMs: number;
  /** Silence longer than this means the peer is gone. Must exceed intervalMs. */
  timeoutMs: number;
  /** Sends one heartbeat (frame and/or protocol ping). */
  send(): void;
  /** Called once when the silence exceeded timeoutMs. */
  onDead(silentForMs: number): void;
  now?: () => number;
}

export class Heartbeat {
  readonly #options: HeartbeatOptions;
  readonly #now: () => number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastHeard = 0;

  constructor(options: HeartbeatOptions) {
    if (!(options.timeoutMs > options.intervalMs)) {
      throw new TypeError("HeartbeatOptions.timeoutMs must be greater than its intervalMs");
    }
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  start(): void {
    this.stop();
    this.#lastHeard = this.#now();
    this.#timer = setInterval(() => this.#tick(), this.#options.intervalMs);
  }

  /** Anything received from the peer proves it alive. */
  heard(): void {
    this.#lastHeard = this.#now();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    const silentFor = this.#now() - this.#lastHeard;
    if (silentFor > this.#options.timeoutMs) {
      this.stop();
      this.#options.onDead(silentFor);
      return;
    }
    this.#options.send();
  }
}
