// Global autograd switches: grad recording (noGrad) and anomaly detection.
const flags = { grad: true, anomaly: false };

/** Runs fn with one switch set, restoring it afterwards even if fn throws. */
function withFlag<T>(flag: keyof typeof flags, value: boolean, fn: () => T): T {
  const prev = flags[flag];
  flags[flag] = value;
  try {
    return fn();
  } finally {
    flags[flag] = prev;
  }
}

export function isGradEnabled(): boolean {
  return flags.grad;
}

/** Runs fn without recording operations for autograd (torch.no_grad). */
export const noGrad = <T>(fn: () => T): T => withFlag('grad', false, fn);

/** Runs fn with recording on, even inside noGrad (torch.enable_grad). */
export const enableGrad = <T>(fn: () => T): T => withFlag('grad', true, fn);

/** When on, the first op whose forward or backward produces NaN or Inf throws, naming the op and shapes. */
export function setAnomalyDetection(on: boolean): void {
  flags.anomaly = on;
}

export function isAnomalyDetectionEnabled(): boolean {
  return flags.anomaly;
}

/** Runs fn with anomaly detection on (torch.autograd.detect_anomaly). */
export const detectAnomaly = <T>(fn: () => T): T => withFlag('anomaly', true, fn);
