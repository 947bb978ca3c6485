/**
 * Structured logging: one JSON line per request (request id, channel, command, status, duration)
 * plus warnings for failures. Fields are chosen by the gateway; tokens, keys, secrets and message
 * texts are never logged.
 */

/** The per-request record adapters fill in as they learn more. */
export interface RequestRecord {
  request_id: string;
  channel?: string;
  command?: string;
  user_id?: string;
  error_code?: string;
  replayed?: boolean;
  [key: string]: unknown;
}

/** Where log lines go; a function so tests can capture them. */
export type LogSink = (line: string) => void;

/** The gateway's logger. */
export interface Logger {
  request(record: RequestRecord, status: number, durationMs: number): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Builds a logger writing JSON lines to `sink` (default: stdout). */
export function createLogger(sink: LogSink = (line) => console.log(line)): Logger {
  const write = (level: string, fields: Record<string, unknown>) =>
    sink(JSON.stringify({ ts: new Date().toISOString(), level, ...fields }));
  return {
    request(record, status, durationMs) {
      write(status >= 500 ? "error" : "info", {
        msg: "request",
        ...record,
        status,
        duration_ms: Math.round(durationMs * 1000) / 1000,
      });
    },
    warn: (msg, fields) => write("warn", { msg, ...fields }),
    error: (msg, fields) => write("error", { msg, ...fields }),
  };
}

/** A logger that drops everything (benchmarks, quiet tests). */
export const silentLogger: Logger = { request() {}, warn() {}, error() {} };
