import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';

/**
 * Child processes (servers) started by the test helpers. Each is stopped by its own PID: by `stop()`, by the
 * process 'exit' hook below (normal exit, including jest tearing a worker down), and, for servers that cannot
 * notice it themselves, by a guard process that kills the server when this process dies in any other way.
 */

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the program could not be started at all (for example ENOENT: not installed). */
  error?: NodeJS.ErrnoException;
}

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number | undefined;
  /** Resolves once the process has exited (or failed to start). */
  readonly exited: Promise<ExitStatus>;
  /** The exit status, or undefined while it runs. */
  exitStatus(): ExitStatus | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. Idempotent. */
  stop(graceMs?: number): Promise<ExitStatus>;
}

const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of live) {
      if (p.pid !== undefined && p.exitStatus() === undefined) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
  });
}

export interface SpawnManagedOptions extends Omit<SpawnOptions, 'detached'> {
  /**
   * Also start a guard (`sh` blocked on its stdin pipe from this process) that sends SIGTERM to the server when
   * the pipe closes, i.e. when this process dies without running its exit hook. For servers such as redis-server
   * that have no "exit with my parent" option.
   */
  guard?: boolean;
}

/**
 * Spawns a server process that is tracked for cleanup. The child is unref'd, so a test that forgets to stop it
 * does not keep jest alive; the exit hook and the guard still end it.
 */
export function spawnManaged(name: string, command: string, args: string[], options: SpawnManagedOptions = {}): ManagedProcess {
  installExitHook();
  const { guard: wantGuard, ...spawnOptions } = options;
  const child = spawn(command, args, { ...spawnOptions, detached: false });
  let status: ExitStatus | undefined;
  let guardProcess: ChildProcess | undefined;

  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      // 'error' without a pid means the program never ran; with a pid it is a kill/IPC failure and 'exit' follows.
      if (child.pid === undefined) {
        status = { code: null, signal: null, error };
        resolve(status);
      }
    });
    child.once('exit', (code, signal) => {
      status = { code, signal };
      resolve(status);
    });
  });

  const managed: ManagedProcess = {
    name,
    child,
    get pid() {
      return child.pid;
    },
    exited,
    exitStatus: () => status,
    async stop(graceMs = 3000) {
      if (guardProcess && guardProcess.exitCode === null && guardProcess.signalCode === null) {
        guardProcess.kill('SIGKILL');
      }
      if (status === undefined && child.pid !== undefined) {
        child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const forced = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            if (status === undefined) child.kill('SIGKILL');
            resolve();
          }, graceMs);
        });
        await Promise.race([exited, forced]);
        clearTimeout(timer);
      }
      const result = await exited;
      live.delete(managed);
      return result;
    },
  };

  live.add(managed);
  void exited.then(() => {
    live.delete(managed);
    if (guardProcess && guardProcess.exitCode === null && guardProcess.signalCode === null) guardProcess.kill('SIGKILL');
  });

  if (wantGuard && child.pid !== undefined) {
    // `read` is a shell builtin, so the guard is a single process that SIGKILL (from stop()) removes outright.
    guardProcess = spawn('sh', ['-c', 'read _line; kill -TERM "$1" 2>/dev/null', 'corridor-guard', String(child.pid)], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    guardProcess.on('error', () => undefined);
    guardProcess.unref();
    unrefStream(guardProcess.stdin);
  }

  child.unref();
  unrefStream(child.stdin);
  unrefStream(child.stdout);
  unrefStream(child.stderr);
  return managed;
}

function unrefStream(stream: unknown): void {
  const s = stream as { unref?: () => void } | null;
  if (s && typeof s.unref === 'function') s.unref();
}

/** True if a process with this PID exists (signal 0 probe). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
