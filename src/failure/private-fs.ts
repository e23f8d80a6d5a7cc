// File access for dead letters, which hold partition keys and payloads (personal data): folders 0700,
// files 0600 (whatever the umask), never through a symlink planted in the folder, and the folder fsync'd
// after a file was created, renamed or removed there, so the change survives a crash.
import { constants } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';

/** Mode of folders holding dead letters. */
export const PRIVATE_DIR_MODE = 0o700;
/** Mode of files holding dead letters. */
export const PRIVATE_FILE_MODE = 0o600;

const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
const READ = constants.O_RDONLY | constants.O_NOFOLLOW;

/** Creates `dir` (and missing parents) readable by the owner only. */
export async function mkdirPrivate(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

function refuseLink(err: unknown, path: string): unknown {
  if ((err as NodeJS.ErrnoException).code !== 'ELOOP') return err;
  const e = new Error(`${path} is a symbolic link: dead letters are never written or read through one (remove it)`) as NodeJS.ErrnoException;
  e.code = 'ELOOP';
  return e;
}

/**
 * Opens `path` for appending, creating it 0600; refuses a symlink (O_NOFOLLOW) and anything that is not
 * a regular file. `created` tells whether the file is new (its folder then needs an fsync).
 */
export async function openAppend(path: string): Promise<{ fh: FileHandle; created: boolean }> {
  let fh: FileHandle;
  let created = false;
  try {
    fh = await open(path, APPEND | constants.O_EXCL, PRIVATE_FILE_MODE);
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw refuseLink(err, path);
    try {
      fh = await open(path, APPEND, PRIVATE_FILE_MODE);
    } catch (again) {
      throw refuseLink(again, path);
    }
  }
  if (!(await fh.stat()).isFile()) {
    await fh.close();
    throw new Error(`${path} is not a regular file: dead letters are only written to regular files`);
  }
  return { fh, created };
}

/** Opens `path` for reading, refusing a symlink. */
export async function openRead(path: string): Promise<FileHandle> {
  try {
    return await open(path, READ);
  } catch (err) {
    throw refuseLink(err, path);
  }
}

/** Makes a file's creation, rename or removal in `dir` durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Appends `data` (looping over short writes), fsyncs; fsyncs the folder too when the file was created. */
export async function appendDurably(path: string, dir: string, data: Buffer): Promise<void> {
  const { fh, created } = await openAppend(path);
  try {
    for (let off = 0; off < data.length; ) off += (await fh.write(data, off, data.length - off)).bytesWritten;
    await fh.sync();
  } finally {
    await fh.close();
  }
  if (created) await syncDir(dir);
}

/**
 * The lines of a file with their byte offsets, read a chunk at a time (never the whole file). The
 * trailing newline is not part of a line; a last line without one is still given.
 */
export async function* readLines(path: string, chunkBytes = 1024 * 1024): AsyncGenerator<{ offset: number; line: Buffer }> {
  const fh = await openRead(path);
  try {
    let carry = Buffer.alloc(0);
    let carryAt = 0;
    let position = 0;
    const chunk = Buffer.allocUnsafe(chunkBytes);
    for (;;) {
      const { bytesRead } = await fh.read(chunk, 0, chunkBytes, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      let start = 0;
      for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
        yield { offset: carryAt + start, line: Buffer.from(data.subarray(start, nl)) };
        start = nl + 1;
      }
      carry = Buffer.from(data.subarray(start));
      carryAt += start;
    }
    if (carry.length > 0) yield { offset: carryAt, line: carry };
  } finally {
    await fh.close();
  }
}

/** `length` bytes of `path` at `offset` (a line found by {@link readLines}). */
export async function readAt(path: string, offset: number, length: number): Promise<Buffer> {
  const fh = await openRead(path);
  try {
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}
