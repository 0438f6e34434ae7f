// CI sets REQUIRE_BROWSER=1: there a missing Chromium or puppeteer-core fails instead of skipping the browser tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { whyNoBrowser } from './chromium.js';

test('the browser tests can run where REQUIRE_BROWSER=1 (CI)', { skip: process.env.REQUIRE_BROWSER === '1' ? false : 'REQUIRE_BROWSER is not set' }, () => {
  assert.equal(whyNoBrowser(), null, `REQUIRE_BROWSER=1 but the browser tests would skip: ${whyNoBrowser()}`);
});
