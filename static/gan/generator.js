// The page's side of the worker (worker.js): one worker per generator and classifier pair,
// kept for the page's life, so going back to a page (Streamlit switches pages without a
// reload) finds the networks loaded. `supported()` says whether this browser can run them at
// all; the pages fall back to digits drawn on the server when it cannot.

const clients = new Map();   // the most recently used last
// Workers kept: the explorer's generator (with the classifier) and the interpolation's. A
// live run gives a new generator at each step; older workers (and their weights) go.
const KEPT = 2;

export function supported() {
  if (typeof Worker !== "function" || typeof Float32Array !== "function"
      || typeof ImageData !== "function" || typeof fetch !== "function") return false;
  // Module workers: a browser that knows them reads the `type` option while it converts the
  // options, before it looks at the (here invalid) address.
  let reads = false;
  try {
    new Worker("blob://", { get type() { reads = true; return "module"; } }).terminate();
  } catch (error) {
    // the invalid address: expected
  }
  return reads;
}

export function generatorFor(generator, classifier) {
  const key = `${generator} ${classifier || ""}`;
  const client = clients.get(key) ?? new Generator(generator, classifier);
  clients.delete(key);
  clients.set(key, client);
  for (const [old, unused] of clients) {
    if (clients.size <= KEPT) break;
    unused.worker.terminate();
    clients.delete(old);
  }
  return client;
}

class Generator {
  constructor(generator, classifier) {
    this.generator = generator;
    this.classifier = classifier;
    this.msPerImage = null;           // measured: decides how much work fits between moves
    this.calls = new Map();
    this.next = 1;
    this.worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    this.worker.onmessage = ({ data }) => {
      const call = this.calls.get(data.id);
      this.calls.delete(data.id);
      if (data.error) call.reject(new Error(data.error));
      else call.resolve(data);
    };
    this.worker.onerror = (event) => {
      event.preventDefault();
      this.failed = new Error(event.message || "the generator's worker did not start");
      for (const call of this.calls.values()) call.reject(this.failed);
      this.calls.clear();
    };
    this.ready = this.call({ kind: "load", urls: [generator, ...(classifier ? [classifier] : [])] });
  }

  call(message, transfer = []) {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...message }, transfer);
    });
  }

  // Images (and the classifier's probabilities, when `classify`) for the `count` vectors in z.
  async run(z, count, classify = false) {
    await this.ready;
    const answer = await this.call({ kind: "run", generator: this.generator, z, count,
                                     classifier: classify ? this.classifier : null });
    this.msPerImage = this.msPerImage === null ? answer.ms : 0.7 * this.msPerImage + 0.3 * answer.ms;
    return answer;
  }
}

// `count` vectors (laid end to end in z) run a few at a time, as many as take about `ms`
// milliseconds, so that urgent work (the picture under a moving slider) never waits long
// behind them. `images` (and `probabilities` when `classify`) fill in as the steps go.
export class Batch {
  constructor(generator, z, count, classify) {
    this.generator = generator;
    this.z = z;
    this.count = count;
    this.classify = classify;
    this.done = 0;
    this.images = null;
    this.probabilities = null;
  }

  get finished() {
    return this.done >= this.count;
  }

  async step(ms) {
    const d = this.z.length / this.count;
    const n = Math.min(this.count - this.done,
                       Math.max(1, Math.floor(ms / (this.generator.msPerImage || ms))));
    const answer = await this.generator.run(this.z.subarray(this.done * d, (this.done + n) * d),
                                            n, this.classify);
    const perImage = answer.images.length / n;
    this.images ??= new Float32Array(this.count * perImage);
    this.images.set(answer.images, this.done * perImage);
    if (answer.probabilities) {
      const perRow = answer.probabilities.length / n;
      this.probabilities ??= new Float32Array(this.count * perRow);
      this.probabilities.set(answer.probabilities, this.done * perRow);
    }
    this.done += n;
  }
}
