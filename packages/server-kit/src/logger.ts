import { type Logger, pino } from "pino";

export type { Logger };

export interface LoggerOptions {
  level: string;
  service: string;
  version: string;
  commit: string;
  environment: string;
}

/**
 * JSON lines on stdout, one object per event, with the release on every line so that logs of
 * two versions running side by side during a rollout can be told apart.
 */
export function createLogger(options: LoggerOptions, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level: options.level,
      base: {
        service: options.service,
        version: options.version,
        commit: options.commit,
        env: options.environment,
      },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          // A second net behind the request serializer's own redaction (http.ts).
          "req.headers.authorization",
          'req.headers["proxy-authorization"]',
          'req.headers["x-amz-security-token"]',
          "req.headers.cookie",
          'req.headers["x-api-key"]',
          'res.headers["set-cookie"]',
        ],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
