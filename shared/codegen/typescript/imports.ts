/**
 * Import statements of generated code, one per line. (Written through this helper so that the
 * layering check, which reads `import` lines, does not take the generated code's for shared/'s own;
 * for the same reason it is exported by name below rather than with `export function`.)
 */
function importLines(imports: readonly (readonly [string, string])[]): string {
  return imports.map(([what, from]) => `import ${what} from '${from}';`).join('\n');
}

export { importLines };
