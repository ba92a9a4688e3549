/** One structured log entry: `event` names what happened; the rest is detail. Written as one JSON line. */
export interface LogEntry {
  event: string;
  [field: string]: unknown;
}

export type WatcherLogger = (entry: LogEntry) => void;

/** JSON lines on stdout, each with a timestamp. */
export const stdoutLogger: WatcherLogger = (entry) => {
  process.stdout.write(JSON.stringify({ at: new Date().toISOString(), ...entry }) + '\n');
};

export const silentLogger: WatcherLogger = () => {};
