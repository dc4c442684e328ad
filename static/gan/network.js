// A network exported by ganlib/browser_export.py, run in the browser: Dense, Conv2D,
// Conv2DTranspose, max pooling and per-channel affine layers (folded BatchNormalization), each
// with an optional activation. Activations are kept in Keras's height x width x channel order,
// so Flatten and Reshape cost nothing. Plain JavaScript over Float32Array, no DOM: it runs in
// a Web Worker (worker.js) and in Node for a quick check.
//
// Why the loops are ordered as they are: a convolution is, for each kernel tap, a matrix
// product of the pixels by that tap's (in x out) weights. The taps go outermost and the input
// channels four at a time next, so the four weight rows in use (4 x out numbers, a few kB)
// stay in the fastest cache while every pixel is visited; the innermost loop runs over the
// output channels, contiguous in both the weights and the output, with four multiply-adds
// and one store per step. A layer with a single output channel (the generators' last) takes
// a dot product over the input channels instead.

import { available as simd, tapRowIn } from "./simd.js";

export const FORMAT = "gan-classroom-network";

// `options.simd`: false runs the plain JavaScript loops even where WebAssembly SIMD is there.
export async function loadNetwork(url, options = {}) {
  const answer = await fetch(url);
  if (!answer.ok) throw new Error(`${url}: HTTP ${answer.status}`);
  const description = await answer.json();
  const weightsUrl = new URL(description.weights, answer.url || url).href;
  const bytes = await fetch(weightsUrl);
  if (!bytes.ok) throw new Error(`${weightsUrl}: HTTP ${bytes.status}`);
  return new Network(description, new Float32Array(await bytes.arrayBuffer()), options);
}

const size = (shape) => shape.reduce((a, b) => a * b, 1);
const outputs = (layer) => size(layer.out || (layer.units ? [layer.units] : layer.shape));

export class Network {
  constructor(description, weights, { simd: useSimd = simd } = {}) {
    if (description.format !== FORMAT || description.version !== 1) {
      throw new Error(`not a network this runner knows (${description.format} ${description.version})`);
    }
    if (weights.length !== description.floats) {
      throw new Error(`the weights file holds ${weights.length} numbers, not ${description.floats}`);
    }
    this.inputSize = size(description.input);
    this.outputSize = size(description.output);
    this.input = description.input;
    this.output = description.output;
    const largest = Math.max(this.inputSize, ...description.layers.map(outputs));
    // With WebAssembly SIMD the weights and the two activation buffers live in the module's
    // memory, where its loop (simd.js) reads and writes them.
    let all = new Float32Array(weights.length + 2 * largest);
    this.kernel = null;
    if (useSimd) {
      const memory = new WebAssembly.Memory({ initial: Math.ceil(all.byteLength / 65536) });
      all = new Float32Array(memory.buffer, 0, all.length);
      this.kernel = tapRowIn(memory);
    }
    all.set(weights);
    weights = all.subarray(0, weights.length);
    this.buffers = [all.subarray(weights.length, weights.length + largest),
                    all.subarray(weights.length + largest)];
    const part = (range) => (range ? weights.subarray(range[0], range[0] + range[1]) : null);
    this.layers = description.layers.map((layer) => ({
      ...layer, kernelW: part(layer.kernel), biasW: part(layer.bias),
      scaleW: part(layer.scale), shiftW: part(layer.shift),
      outSize: outputs(layer),
    }));
  }

  // Images (or points) for `count` inputs laid end to end: a new Float32Array of
  // count x outputSize numbers.
  run(inputs, count = inputs.length / this.inputSize) {
    const result = new Float32Array(count * this.outputSize);
    for (let n = 0; n < count; n++) {
      let x = this.buffers[0], y = this.buffers[1];
      x.set(inputs.subarray(n * this.inputSize, (n + 1) * this.inputSize));
      for (const layer of this.layers) {
        LAYERS[layer.type](layer, x, y, this.kernel);
        activate(layer, y, layer.outSize);
        [x, y] = [y, x];
      }
      result.set(x.subarray(0, this.outputSize), n * this.outputSize);
    }
    return result;
  }
}

const LAYERS = {
  // A Dense layer is one pixel of a 1 x 1 convolution: the same loop.
  dense(layer, x, y, kernel) {
    y.set(layer.biasW);
    tapRow(x, y, layer.kernelW, 0, layer.inputs, layer.units, 0, 0, 0, 0, 1, kernel);
  },
  conv2d(layer, x, y, kernel) { convolve(layer, x, y, false, kernel); },
  conv2d_transpose(layer, x, y, kernel) { convolve(layer, x, y, true, kernel); },
  max_pool2d(layer, x, y) {
    const [h, w, c] = layer.in, [oh, ow] = layer.out, [ph, pw] = layer.pool;
    const [sh, sw] = layer.strides;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const o = (oy * ow + ox) * c;
        for (let k = 0; k < c; k++) y[o + k] = -Infinity;
        for (let dy = 0; dy < ph; dy++) {
          for (let dx = 0; dx < pw; dx++) {
            const i = ((oy * sh + dy) * w + ox * sw + dx) * c;
            for (let k = 0; k < c; k++) if (x[i + k] > y[o + k]) y[o + k] = x[i + k];
          }
        }
      }
    }
  },
  affine(layer, x, y) {
    const n = layer.outSize, { scaleW: s, shiftW: t } = layer;
    if (!s) { y.set(x.subarray(0, n)); return; }
    const c = s.length;
    for (let i = 0; i < n; i++) y[i] = x[i] * s[i % c] + t[i % c];
  },
};

// One convolution, as the comment at the top of the file says. For Conv2D the loops visit
// output pixels and read the input pixel under each tap; for Conv2DTranspose they visit input
// pixels and add into the output pixel each tap reaches (TensorFlow's conv2d_transpose: the
// gradient of a convolution, kernel not flipped). Two neighbouring visited pixels share each
// weight read, and eight input channels share each output read and write.
function convolve(layer, x, y, transpose, kernel) {
  const [h, w, cin] = layer.in, [oh, ow, cout] = layer.out;
  const [kh, kw] = layer.kernel_size, [sh, sw] = layer.strides, [pt, pl] = layer.padding;
  const k = layer.kernelW;
  for (let p = 0; p < oh * ow; p++) y.set(layer.biasW, p * cout);
  const [vh, vw, th, tw] = transpose ? [h, w, oh, ow] : [oh, ow, h, w];
  // From one visited pixel to the next in a row: on the input side, on the output side.
  const xStep = transpose ? cin : sw * cin, yStep = transpose ? sw * cout : cout;
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      // The visited columns whose pixel on the other side lies inside the image.
      const lo = Math.max(0, Math.ceil((pl - kx) / sw));
      const hi = Math.min(vw - 1, Math.floor((tw - 1 + pl - kx) / sw));
      if (hi < lo) continue;
      const tx = lo * sw + kx - pl, count = hi - lo + 1;
      const tap = (ky * kw + kx) * cin * cout;
      for (let vy = 0; vy < vh; vy++) {
        const ty = vy * sh + ky - pt;
        if (ty < 0 || ty >= th) continue;
        const xi = transpose ? (vy * w + lo) * cin : (ty * w + tx) * cin;
        const yo = transpose ? (ty * ow + tx) * cout : (vy * ow + lo) * cout;
        if (cout === 1) dotRow(x, y, k, tap, cin, xi, yo, xStep, yStep, count);
        else tapRow(x, y, k, tap, cin, cout, xi, yo, xStep, yStep, count, kernel);
      }
    }
  }
}

// y[yo + p * yStep + j] += sum over c of x[xi + p * xStep + c] * k[tap + c * cout + j], for
// the `count` visited pixels p of one row and every output channel j. `kernel` is simd.js's
// tap_row (or null): it takes the channels in fours when the outputs come in fours.
function tapRow(x, y, k, tap, cin, cout, xi, yo, xStep, yStep, count, kernel) {
  let c = 0;
  if (kernel && cout % 4 === 0 && cin >= 4) {
    c = cin - (cin % 4);
    kernel(x.byteOffset + 4 * xi, y.byteOffset + 4 * yo, k.byteOffset + 4 * tap, c, cout,
           4 * xStep, 4 * yStep, count);
  }
  for (; c + 8 <= cin; c += 8) {
    const r0 = tap + c * cout, r1 = r0 + cout, r2 = r1 + cout, r3 = r2 + cout;
    const r4 = r3 + cout, r5 = r4 + cout, r6 = r5 + cout, r7 = r6 + cout;
    let p = 0;
    for (; p + 2 <= count; p += 2) {
      const i = xi + p * xStep + c, m = i + xStep, o = yo + p * yStep, q = o + yStep;
      const a0 = x[i], a1 = x[i + 1], a2 = x[i + 2], a3 = x[i + 3];
      const a4 = x[i + 4], a5 = x[i + 5], a6 = x[i + 6], a7 = x[i + 7];
      const b0 = x[m], b1 = x[m + 1], b2 = x[m + 2], b3 = x[m + 3];
      const b4 = x[m + 4], b5 = x[m + 5], b6 = x[m + 6], b7 = x[m + 7];
      for (let j = 0; j < cout; j++) {
        const w0 = k[r0 + j], w1 = k[r1 + j], w2 = k[r2 + j], w3 = k[r3 + j];
        const w4 = k[r4 + j], w5 = k[r5 + j], w6 = k[r6 + j], w7 = k[r7 + j];
        y[o + j] += a0 * w0 + a1 * w1 + a2 * w2 + a3 * w3 + a4 * w4 + a5 * w5 + a6 * w6 + a7 * w7;
        y[q + j] += b0 * w0 + b1 * w1 + b2 * w2 + b3 * w3 + b4 * w4 + b5 * w5 + b6 * w6 + b7 * w7;
      }
    }
    for (; p < count; p++) {
      const i = xi + p * xStep + c, o = yo + p * yStep;
      const a0 = x[i], a1 = x[i + 1], a2 = x[i + 2], a3 = x[i + 3];
      const a4 = x[i + 4], a5 = x[i + 5], a6 = x[i + 6], a7 = x[i + 7];
      for (let j = 0; j < cout; j++) {
        y[o + j] += a0 * k[r0 + j] + a1 * k[r1 + j] + a2 * k[r2 + j] + a3 * k[r3 + j]
          + a4 * k[r4 + j] + a5 * k[r5 + j] + a6 * k[r6 + j] + a7 * k[r7 + j];
      }
    }
  }
  for (; c < cin; c++) {                      // the last few channels, one at a time
    const r = tap + c * cout;
    for (let p = 0; p < count; p++) {
      const a = x[xi + p * xStep + c], o = yo + p * yStep;
      for (let j = 0; j < cout; j++) y[o + j] += a * k[r + j];
    }
  }
}

// The same for a single output channel: a dot product over the input channels per pixel.
function dotRow(x, y, k, tap, cin, xi, yo, xStep, yStep, count) {
  for (let p = 0; p < count; p++) {
    const i = xi + p * xStep;
    let sum = 0;
    for (let c = 0; c < cin; c++) sum += x[i + c] * k[tap + c];
    y[yo + p * yStep] += sum;
  }
}

function activate(layer, y, n) {
  switch (layer.activation) {
    case "linear": return;
    case "relu": for (let i = 0; i < n; i++) if (y[i] < 0) y[i] = 0; return;
    case "leaky_relu": {
      const a = layer.alpha;
      for (let i = 0; i < n; i++) if (y[i] < 0) y[i] *= a;
      return;
    }
    case "tanh": for (let i = 0; i < n; i++) y[i] = Math.tanh(y[i]); return;
    case "sigmoid": for (let i = 0; i < n; i++) y[i] = 1 / (1 + Math.exp(-y[i])); return;
    case "softmax": {
      let top = -Infinity, total = 0;
      for (let i = 0; i < n; i++) top = Math.max(top, y[i]);
      for (let i = 0; i < n; i++) { y[i] = Math.exp(y[i] - top); total += y[i]; }
      for (let i = 0; i < n; i++) y[i] /= total;
      return;
    }
    default: throw new Error(`unknown activation ${layer.activation}`);
  }
}
