import { readSync, writeSync } from 'node:fs';

/**
 * The wire format between the host and its sandbox process: one frame is a list of strings,
 * `[u32 count][u32 byteLength, utf-8 bytes]...`, little-endian. Strings go as they are (a JSON
 * text is never escaped a second time). Both sides read and write with blocking syscalls:
 * the protocol is strictly one request, then one answer.
 */

/** The other side closed its end: the process died (or the host went away). */
export class LinkClosed extends Error {
  constructor(message = 'the sandbox process closed its end of the link') {
    super(message);
    this.name = 'LinkClosed';
  }
}

export function writeFrame(fd: number, parts: readonly string[]): void {
  let size = 4;
  const lengths = parts.map((part) => Buffer.byteLength(part, 'utf8'));
  for (const length of lengths) size += 4 + length;
  const buffer = Buffer.allocUnsafe(size);
  buffer.writeUInt32LE(parts.length, 0);
  let offset = 4;
  parts.forEach((part, index) => {
    buffer.writeUInt32LE(lengths[index]!, offset);
    offset += 4;
    offset += buffer.write(part, offset, 'utf8');
  });
  let written = 0;
  while (written < size) {
    try {
      written += writeSync(fd, buffer, written, size - written);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      if ((error as NodeJS.ErrnoException).code === 'EPIPE') throw new LinkClosed();
      throw error;
    }
  }
}

const header = Buffer.alloc(4);

function readExact(fd: number, target: Buffer, length: number): void {
  let read = 0;
  while (read < length) {
    let n: number;
    try {
      n = readSync(fd, target, read, length - read, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      throw error;
    }
    if (n === 0) throw new LinkClosed();
    read += n;
  }
}

function readU32(fd: number): number {
  readExact(fd, header, 4);
  return header.readUInt32LE(0);
}

/** Most strings in one frame (a push carries a few texts; anything more is a broken link). */
const MAX_PARTS = 1 << 16;

export function readFrame(fd: number): string[] {
  const count = readU32(fd);
  if (count > MAX_PARTS) throw new LinkClosed(`broken sandbox link (a frame of ${count} parts)`);
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = readU32(fd);
    if (length === 0) {
      parts.push('');
      continue;
    }
    const body = Buffer.allocUnsafe(length);
    readExact(fd, body, length);
    parts.push(body.toString('utf8'));
  }
  return parts;
}
