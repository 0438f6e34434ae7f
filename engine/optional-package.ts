// Packages the engine loads only when asked for (gpu.js for the gpujs backend, webgpu for its webgpu mode):
// they are optional peer dependencies, so a missing one must say what to install.

/** True when `error` is Node's "cannot find package `name`" (ESM import or require). */
export function isMissingPackage(error: unknown, name: string): boolean {
  const e = error as { code?: string; message?: string } | null;
  if (!e || (e.code !== 'ERR_MODULE_NOT_FOUND' && e.code !== 'MODULE_NOT_FOUND')) return false;
  return (e.message ?? '').includes(`'${name}'`) || (e.message ?? '').includes(`'${name}/`);
}

/** The error thrown when an optional package is needed and absent: what needs it, and the command that fixes it. */
export function missingPackageError(where: string, name: string, install: string): Error {
  return new Error(`${where}: needs the optional package ${name}, which is not installed; install it with: npm install ${install}`);
}
