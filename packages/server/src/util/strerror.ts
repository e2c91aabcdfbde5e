/**
 * strerror(3)'s texts for the errno codes Node's fs and net calls report, since Redis prints
 * those texts in its logs, its config errors and its replies (MISCONF, CONFIG SET, ACL LOAD).
 * An unknown code falls back to Node's own message.
 */

const STRERROR: Record<string, string> = {
  ENOSPC: "No space left on device",
  EIO: "Input/output error",
  EBADF: "Bad file descriptor",
  EROFS: "Read-only file system",
  EDQUOT: "Disk quota exceeded",
  EFBIG: "File too large",
  EACCES: "Permission denied",
  EPERM: "Operation not permitted",
  ENOENT: "No such file or directory",
  EISDIR: "Is a directory",
  ENOTDIR: "Not a directory",
  EEXIST: "File exists",
  EINVAL: "Invalid argument",
  EMFILE: "Too many open files",
  ENAMETOOLONG: "File name too long",
  ELOOP: "Too many levels of symbolic links",
};

/** The strerror() text of a failed system call. */
export function strerror(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code !== undefined && STRERROR[code] !== undefined) return STRERROR[code];
  return err instanceof Error ? err.message : String(err);
}
