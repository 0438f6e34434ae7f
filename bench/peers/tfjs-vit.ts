// The reference ViT written directly in TensorFlow.js, as a tfjs user would: tf.variable weights,
// tf.matMul, layernorm and GELU (erf) from elementwise ops (tfjs-core has neither), tf.softmax,
// gradients from tf.variableGrads and the update from tf.train.adam. tfjs has no AdamW, so the
// decoupled weight decay θ ← θ(1 − ηλ) is applied to every variable before Adam's step, which is
// AdamW's update (torch.optim.AdamW decays first too).
//
// Layout as timm's ViT: patch embedding (a linear map on 4×4 patches, same as a stride-4 conv), a class
// token and learned positions, pre-norm blocks (qkv with bias, 4 heads, MLP 4×), a final norm and a
// linear head on the class token.
import { REFERENCE_VIT as V } from '../cases.js';
import { tf } from './tfjs.js';

type Var = tf.Variable;

interface BlockParams {
  ln1w: Var; ln1b: Var; qkvW: Var; qkvB: Var; projW: Var; projB: Var;
  ln2w: Var; ln2b: Var; fc1W: Var; fc1B: Var; fc2W: Var; fc2B: Var;
}

export interface TfjsVit {
  /** Logits [B, classes] for images [B, 28, 28]. */
  forward(x: tf.Tensor): tf.Tensor;
  /** One forward, backward and AdamW update on (x, labels). */
  trainStep(x: tf.Tensor, labels: tf.Tensor): void;
  variables: Var[];
  dispose(): void;
}

export function createTfjsVit(): TfjsVit {
  const D = V.embedDim, P = V.patchSize, hidden = D * V.mlpRatio;
  const grid = V.imgSize / P, tokens = grid * grid + 1;
  const variables: Var[] = [];
  const normal = (shape: number[], std = 0.02): Var => { const v = tf.variable(tf.mul(tf.randomNormal(shape), std)); variables.push(v); return v; };
  const constant = (shape: number[], value: number): Var => { const v = tf.variable(tf.fill(shape, value)); variables.push(v); return v; };
  const patchW = normal([P * P * V.inChans, D]), patchB = constant([D], 0);
  const cls = normal([1, 1, D]), pos = normal([1, tokens, D]);
  const blocks: BlockParams[] = [];
  for (let i = 0; i < V.depth; i++) {
    blocks.push({
      ln1w: constant([D], 1), ln1b: constant([D], 0), qkvW: normal([D, 3 * D]), qkvB: constant([3 * D], 0),
      projW: normal([D, D]), projB: constant([D], 0), ln2w: constant([D], 1), ln2b: constant([D], 0),
      fc1W: normal([D, hidden]), fc1B: constant([hidden], 0), fc2W: normal([hidden, D]), fc2B: constant([D], 0),
    });
  }
  const normW = constant([D], 1), normB = constant([D], 0);
  const headW = normal([D, V.numClasses]), headB = constant([V.numClasses], 0);

  const layerNorm = (x: tf.Tensor, w: Var, b: Var): tf.Tensor => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, V.eps))), w), b);
  };
  // gelu(x) = x/2 · (1 + erf(x/√2))
  const gelu = (x: tf.Tensor): tf.Tensor => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
  const linear = (x: tf.Tensor, w: Var, b: Var): tf.Tensor => tf.add(tf.matMul(x, w), b);

  /** x: [B·T, D] → x + attention(ln1(x)). */
  const attention = (x: tf.Tensor, p: BlockParams, B: number): tf.Tensor => {
    const H = V.numHeads, hd = D / H;
    const qkv = linear(layerNorm(x, p.ln1w, p.ln1b), p.qkvW, p.qkvB);
    const heads = tf.transpose(tf.reshape(qkv, [B, tokens, 3, H, hd]), [2, 0, 3, 1, 4]); // [3, B, H, T, hd]
    const [q, k, v] = tf.split(heads, 3, 0).map((t) => tf.reshape(t, [B * H, tokens, hd]));
    const attn = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)));
    const o = tf.reshape(tf.transpose(tf.reshape(tf.matMul(attn, v), [B, H, tokens, hd]), [0, 2, 1, 3]), [B * tokens, D]);
    return tf.add(x, linear(o, p.projW, p.projB));
  };

  const mlp = (x: tf.Tensor, p: BlockParams): tf.Tensor =>
    tf.add(x, linear(gelu(linear(layerNorm(x, p.ln2w, p.ln2b), p.fc1W, p.fc1B)), p.fc2W, p.fc2B));

  const forward = (images: tf.Tensor): tf.Tensor => {
    const B = images.shape[0];
    // [B, 28, 28] → [B·49, 16]: patch (i, j) holds rows 4i..4i+3, columns 4j..4j+3
    const patches = tf.reshape(tf.transpose(tf.reshape(images, [B, grid, P, grid, P]), [0, 1, 3, 2, 4]), [B * grid * grid, P * P]);
    const embedded = tf.reshape(linear(patches, patchW, patchB), [B, grid * grid, D]);
    const withCls = tf.add(tf.concat([tf.tile(cls, [B, 1, 1]), embedded], 1), pos);
    let x = tf.reshape(withCls, [B * tokens, D]);
    for (const p of blocks) x = mlp(attention(x, p, B), p);
    const normed = tf.reshape(layerNorm(x, normW, normB), [B, tokens, D]);
    const clsOut = tf.reshape(tf.slice(normed, [0, 0, 0], [B, 1, D]), [B, D]);
    return linear(clsOut, headW, headB);
  };

  const optimizer = tf.train.adam(V.lr);
  const loss = (x: tf.Tensor, labels: tf.Tensor): tf.Scalar =>
    tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(labels, V.numClasses), tf.logSoftmax(forward(x))), -1))) as tf.Scalar;

  return {
    forward,
    variables,
    trainStep(x, labels) {
      const { value, grads } = tf.variableGrads(() => loss(x, labels), variables);
      tf.tidy(() => { for (const v of variables) v.assign(tf.mul(v, 1 - V.lr * V.weightDecay)); });
      optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      value.dispose();
      tf.dispose(Object.values(grads));
    },
    dispose() {
      optimizer.dispose();
      tf.dispose(variables);
    },
  };
}

/** A random batch: images [B, 28, 28] and int32 labels [B]. */
export function tfjsBatch(): { x: tf.Tensor; labels: tf.Tensor } {
  return {
    x: tf.randomUniform([V.batch, V.imgSize, V.imgSize]),
    labels: tf.randomUniform([V.batch], 0, V.numClasses, 'int32'),
  };
}
