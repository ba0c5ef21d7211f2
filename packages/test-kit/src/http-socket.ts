import { type Agent, request } from "node:http";
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

/**
 * GET through the local edge router with a Host header: Node's resolver does not know
 * *.localhost, browsers and curl do.
 */
export function viaEdge(port: number, host: string, urlPath: string, agent?: Agent) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path: urlPath, headers: { host: `${host}:${port}` }, agent },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}
