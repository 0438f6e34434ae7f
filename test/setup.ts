// Loaded before every test file (npm test passes --import): fast-check draws from a fixed seed so a CI
// run is reproducible; FC_SEED=<n> explores other draws locally.
import fc from 'fast-check';

const seed = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 20261127;
fc.configureGlobal({ seed });
