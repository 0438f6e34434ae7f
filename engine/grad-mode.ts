// Global autograd switches: grad recording (noGrad) and anomaly detection.
let gradEnabled = true;
let anomaly = false;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording operations for autograd (torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Runs fn with recording on, even inside noGrad (torch.enable_grad). */
export function enableGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** When on, the first op whose forward or backward produces NaN or Inf throws, naming the op and shapes. */
export function setAnomalyDetection(on: boolean): void {
  anomaly = on;
}

export function isAnomalyDetectionEnabled(): boolean {
  return anomaly;
}

export function detectAnomaly<T>(fn: () => T): T {
  const prev = anomaly;
  anomaly = true;
  try {
    return fn();
  } finally {
    anomaly = prev;
  }
}
