/** What every export generator returns: the files of an export folder. */

/** A generated file: path inside the export folder and its text. */
export interface ExportFile {
  readonly path: string;
  readonly content: string;
}

/** True for `/data`, `C:\\data` or `\\\\server\\share`: paths that do not depend on the export folder. */
export function isAbsolutePath(path: string): boolean {
  return /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(path);
}
