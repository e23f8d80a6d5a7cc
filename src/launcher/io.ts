/**
 * What launcher and CLI code may touch of the process, passed in so tests can replace it: output
 * streams, environment, working directory. Nothing under src/ writes to process.stdout directly
 * (in a child process it belongs to the protocol); bin/kcl-ts.js passes the real streams.
 */
export interface CliIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Writes a line to `io.stdout`. */
export function say(io: CliIO, text: string): void {
  io.stdout.write(`${text}\n`);
}

/** Writes a line to `io.stderr`. */
export function warn(io: CliIO, text: string): void {
  io.stderr.write(`${text}\n`);
}
