import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** Re-renders its host every second, for ages that tick ("last block 4 s ago"). */
export class ClockController implements ReactiveController {
  now = Date.now();
  readonly #host: ReactiveControllerHost;
  #timer: number | undefined;

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
    host.addController(this);
  }

  hostConnected(): void {
    this.#timer = window.setInterval(() => {
      this.now = Date.now();
      this.#host.requestUpdate();
    }, 1000);
  }

  hostDisconnected(): void {
    window.clearInterval(this.#timer);
  }
}
