// The Web Worker that runs the networks, so a long forward pass (the article generators take
// tens of milliseconds an image) never blocks the page's sliders and drawing. Messages:
//   {id, kind: "load", urls}                 -> {id, ok}
//   {id, kind: "run", generator, z, count, classifier}
//                                            -> {id, images, probabilities, ms}
// where `z` holds `count` latent vectors end to end, `images` the generator's outputs and
// `probabilities` the classifier's for each image (null without a classifier). Each network is
// fetched once and kept while the worker lives.
import { loadNetwork } from "./network.js";

const networks = new Map();

function network(url) {
  if (!networks.has(url)) networks.set(url, loadNetwork(url));
  return networks.get(url);
}

self.onmessage = async ({ data }) => {
  const { id } = data;
  try {
    if (data.kind === "load") {
      await Promise.all(data.urls.map(network));
      self.postMessage({ id, ok: true });
      return;
    }
    const started = performance.now();
    const images = (await network(data.generator)).run(data.z, data.count);
    const probabilities = data.classifier ? (await network(data.classifier)).run(images) : null;
    const ms = (performance.now() - started) / Math.max(data.count, 1);
    self.postMessage({ id, images, probabilities, ms },
      [images.buffer, ...(probabilities ? [probabilities.buffer] : [])]);
  } catch (error) {
    self.postMessage({ id, error: `${error && error.message ? error.message : error}` });
  }
};
