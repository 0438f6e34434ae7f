// Memory caps read from the environment: unset means the default, a bad value is a clear error, not NaN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envMiB } from '../../engine/env.js';

test('envMiB reads MiB, falls back when unset or empty, and rejects what is not a non-negative number', () => {
  const name = 'TLEG_TEST_ENV_MIB';
  try {
    delete process.env[name];
    assert.equal(envMiB(name, 512), 512 * 2 ** 20);
    process.env[name] = ' ';
    assert.equal(envMiB(name, 512), 512 * 2 ** 20);
    process.env[name] = '0';
    assert.equal(envMiB(name, 512), 0);
    process.env[name] = '1.5';
    assert.equal(envMiB(name, 512), 1.5 * 2 ** 20);
    for (const bad of ['lots', '-1', 'Infinity', '12MB']) {
      process.env[name] = bad;
      assert.throws(() => envMiB(name, 512), new RegExp(`${name}="${bad}": expected a non-negative number of MiB`));
    }
  } finally {
    delete process.env[name];
  }
});
