import { connect, type Socket } from "node:net";

/** A raw HTTP/1.1 connection, for what fetch hides: keep-alive sockets and half-sent requests. */
export class RawConnection {
  readonly socket: Socket;
  #data = "";
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.#data += chunk;
    });
    socket.on("error", () => undefined);
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => resolve(new RawConnection(socket)));
      socket.once("error", reject);
    });
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** Everything received so far. */
  get received(): string {
    return this.#data;
  }

  /** Waits until `predicate(received)` holds. */
  async until(predicate: (received: string) => boolean, timeoutMs = 5_000): Promise<string> {
    const begin = Date.now();
    while (!predicate(this.#data)) {
      if (Date.now() - begin > timeoutMs) {
        throw new Error(
          `no such answer within ${timeoutMs} ms; received: ${JSON.stringify(this.#data)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.#data;
  }
}

/** Resolves true if `promise` settles within `ms`. */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const result = await Promise.race([promise.then(() => true), timeout]);
  clearTimeout(timer);
  return result;
}
