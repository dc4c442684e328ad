// The Latent explorer drawn in the browser (pages/explorer.py, ui/browser_generator.py): the
// digit, the "more like k" sliders, the principal directions, single numbers of z, the walk
// and the neighbours, all computed here by the generator in a Web Worker and redrawn while a
// slider moves. The server is told the new state (setTriggerValue "sync") only once the
// moving stops, so the URL stays shareable and other pages see the same z.
//
// The page mounts this module several times, one "part" per place on the page (the digit in
// the sticky column, the sliders and pictures beside it, between Streamlit's own headings and
// buttons); the parts share one Explorer, made from the data of the "digit" part, which holds
// the model, the state and every translated string.
import { drawGrid, gridSize } from "./digits.js";
import { Batch, generatorFor, supported } from "./generator.js";
import { fractions } from "./latent.js";
import { WorkQueue } from "./queue.js";
import { element, fill, floats, formatter, label, makeSlider, placePart } from "./widgets.js";

const IDLE_MS = 250;        // a slow generator draws the strips after the sliders rest this long
const FAST_MS = 25;         // ... a generator this fast (per image) draws them between moves
const CHUNK_MS = 6;         // work sent to the worker at once while moves may come
const SYNC_MS = 400;        // the server hears of a change once the changes rest this long
const TIMINGS = 2000;       // input-to-picture times (window.ganTimings) and the generator's
                            // ms per digit (window.ganDigitMs) kept for benchmarks/explorer.py

let explorer = null;
const parts = new Map();    // part name -> its element

export function mount(component) {
  const { data } = component;
  if (!supported()) {
    component.setTriggerValue("failed", "unsupported");
    return;
  }
  if (data.part === "digit") {
    // A new model, language or state the server set: start from the server's state.
    if (!explorer || explorer.key !== `${data.generator} ${data.lang}` || explorer.rev !== data.rev) {
      explorer = new Explorer(data);
      for (const [part, host] of parts) if (host.isConnected) explorer.render(part, host);
    }
    explorer.component = component;
  }
  placePart(component, parts, `gc-explorer-${data.part}`, explorer);
}

class Explorer extends WorkQueue {
  constructor(data) {
    super();
    this.key = `${data.generator} ${data.lang}`;
    this.rev = data.rev;
    this.text = data.text;
    this.settings = data.settings;
    this.lang = data.lang;
    this.number = formatter(data.lang);
    const d = data.state.z.length;
    this.state = {
      seed: data.state.seed, z: Float32Array.from(data.state.z),
      shift: Float32Array.from(data.state.shift), like: Float32Array.from(data.state.like),
      first: data.state.first, radius: data.state.radius, into: data.state.into,
    };
    this.own = floats(data.seed_z, Float32Array);                // the seed's own vector
    this.noise = floats(data.noise, Float64Array);               // (neighbours - 1) x d
    this.directions = rows(floats(data.directions, Float32Array), d);
    this.weights = data.class_weights ? rows(floats(data.class_weights, Float32Array), d) : [];
    this.names = data.class_names || [];
    this.toward = this.weights.map((w) => unit(w));
    const base = (url) => (url ? new URL(url, document.baseURI).href : null);
    this.generator = generatorFor(base(data.generator), base(data.classifier));
    this.hasClassifier = Boolean(data.classifier) && this.toward.length > 0;
    // What is drawn: the key of the state each picture shows, and the work under way.
    this.zVersion = 0;
    this.drawn = { digit: null, walk: null, neighbours: null };
    this.verdict = null;       // {key, class}
    this.digitImage = null;
    this.work = null;          // the walk or the neighbours under way: {kind, key, batch}
    this.lastInput = -Infinity;
    this.inputs = [];          // time stamps of the moves not yet drawn
    this.views = {};
    window.ganTimings = window.ganTimings || [];
    window.ganDigitMs = window.ganDigitMs || [];
    this.generator.ready.catch((error) => this.fail(error));
    this.pump();
  }

  // --- the vector ------------------------------------------------------------------------

  // z moved by the sliders: z + shift . directions + like . toward, as the server adds them.
  vector() {
    const s = this.state, out = new Float32Array(s.z.length);
    for (let i = 0; i < out.length; i++) {
      let value = s.z[i];
      for (let k = 0; k < this.directions.length; k++) value += s.shift[k] * this.directions[k][i];
      for (let k = 0; k < this.toward.length; k++) value += s.like[k] * this.toward[k][i];
      out[i] = value;
    }
    return out;
  }

  moved(z) {
    return z.some((value, i) => value !== this.own[i]);
  }

  // The class the walk goes to: the chosen one, or the next when the digit already is it.
  target(verdict) {
    return this.state.into !== verdict ? this.state.into : (verdict + 1) % this.names.length;
  }

  // The walk's vectors (walk_frames x d) from z towards `target`, as pages/explorer.py makes it.
  walk(z, verdict) {
    const to = this.weights[this.target(verdict)], from = this.weights[verdict];
    const direction = unit(Array.from(to, (w, i) => w - from[i]));
    const end = z.map((value, i) => value + Math.fround(this.settings.walk_length * direction[i]));
    const frames = this.settings.walk_frames, out = new Float32Array(frames * z.length);
    fractions(frames).forEach((t, f) => {
      for (let i = 0; i < z.length; i++) {
        out[f * z.length + i] = f === 0 ? z[i] : f === frames - 1 ? end[i] : (1 - t) * z[i] + t * end[i];
      }
    });
    return out;
  }

  // The neighbours but the digit itself: z + radius x noise, rows 1 to neighbours - 1.
  cloud(z) {
    const d = z.length, n = this.noise.length / d, out = new Float32Array(n * d);
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < d; i++) out[r * d + i] = z[i] + this.state.radius * this.noise[r * d + i];
    }
    return out;
  }

  // --- changes ---------------------------------------------------------------------------

  // Apply `how` to the state; `event` (an input event) starts a move's clock. A move of one
  // slider redraws only the bars (the slider shows its own value); a change from elsewhere
  // (`others`: the walk's last frame, another group of numbers) sets every slider too.
  change(how, event, { moves = true, others = false } = {}) {
    how(this.state);
    if (moves) {
      this.zVersion++;
      if (event) this.inputs.push({ at: event.timeStamp, version: this.zVersion });
    }
    this.lastInput = performance.now();
    if (others) this.refresh();
    else this.views.digit?.bars();
    this.pump();
  }

  // The server hears of the state once the changes rest (a drag's end, a pause between keys).
  tell() {
    clearTimeout(this.syncTimer);
    this.syncTimer = setTimeout(() => {
      const s = this.state;
      this.component?.setTriggerValue("sync", {
        rev: this.rev, seed: s.seed, z: Array.from(s.z), shift: Array.from(s.shift),
        like: Array.from(s.like), first: s.first, radius: s.radius, into: s.into,
      });
    }, SYNC_MS);
  }

  // --- the work queue: the digit first, then the walk and the neighbours -------------------

  nextJob() {
    const key = `${this.zVersion}`;
    if (this.drawn.digit !== key) return () => this.drawDigit(key);
    const ms = this.generator.msPerImage ?? Infinity;
    const rest = this.lastInput + IDLE_MS - performance.now();
    if (ms > FAST_MS && rest > 0) {             // a slow generator: wait for the sliders to rest
      clearTimeout(this.restTimer);
      this.restTimer = setTimeout(() => this.pump(), rest);
      return null;
    }
    const z = this.vector();
    const wanted = [];
    if (this.hasClassifier && this.verdict?.key === key) {
      const walkKey = `${key}/${this.target(this.verdict.class)}`;
      if (this.drawn.walk !== walkKey) wanted.push(["walk", walkKey, () => this.walk(z, this.verdict.class)]);
    }
    const cloudKey = `${key}/${this.state.radius}`;
    if (this.drawn.neighbours !== cloudKey) wanted.push(["neighbours", cloudKey, () => this.cloud(z)]);
    if (!wanted.length) return null;
    const [kind, workKey, vectors] = wanted[0];
    if (!this.work || this.work.kind !== kind || this.work.key !== workKey) {
      const all = vectors();
      this.work = { kind, key: workKey, batch: new Batch(this.generator, all, all.length / z.length, kind === "walk") };
    }
    const work = this.work;
    return async () => {
      await work.batch.step(CHUNK_MS);
      if (!work.batch.finished || this.work !== work) return;
      this.drawn[kind] = workKey;
      this.work = null;
      if (kind === "walk") this.showWalk(work.batch);
      else this.showNeighbours(work.batch);
    };
  }

  async drawDigit(key) {
    const z = this.vector();
    const answer = await this.generator.run(z, 1, this.hasClassifier);
    this.digitImage = answer.images;
    this.verdict = answer.probabilities ? { key, class: argmax(answer.probabilities) } : null;
    this.drawn.digit = key;
    this.showDigit(z);
    // Each move this digit answers, timed to the frame that shows it.
    const version = Number(key), answered = this.inputs.filter((input) => input.version <= version);
    this.inputs = this.inputs.filter((input) => input.version > version);
    requestAnimationFrame((now) => {
      window.ganTimings.push(...answered.map((input) => now - input.at));
      window.ganDigitMs.push(answer.ms);
      for (const kept of [window.ganTimings, window.ganDigitMs]) {
        if (kept.length > TIMINGS) kept.splice(0, kept.length - TIMINGS);
      }
    });
  }

  // --- parts -----------------------------------------------------------------------------

  render(part, host) {
    host.replaceChildren();
    const build = {
      digit: () => this.buildDigit(host), like: () => this.buildLike(host),
      walk: () => this.buildWalk(host), directions: () => this.buildDirections(host),
      numbers: () => this.buildNumbers(host), neighbours: () => this.buildNeighbours(host),
    }[part];
    build?.();
    this.refresh();
    if (this.digitImage) this.showDigit(this.vector());
  }

  // Sliders and everything else that shows the state (not the pictures) as it is now.
  refresh() {
    for (const view of Object.values(this.views)) view.refresh?.();
  }

  buildDigit(host) {
    const t = this.text;
    const canvas = element("canvas", { className: "gc-digit", width: 280, height: 280 });
    const caption = element("figcaption");
    const d = this.state.z.length;
    const bars = element("canvas", { className: "gc-bars", width: 10 * d, height: 160,
                                     "aria-hidden": "true" });
    host.append(element("figure", { className: "gc-figure" }, canvas, caption),
                element("div", { className: "gc-bars-title", textContent: t.z_title }), bars);
    // z as bars, one per number, from -4 to 4; those with a slider now in orange.
    const drawBars = () => {
      const z = this.vector(), first = this.state.first, context = bars.getContext("2d");
      context.clearRect(0, 0, bars.width, bars.height);
      context.fillStyle = "#94a3b8";
      context.fillRect(0, 79, bars.width, 2);
      for (let i = 0; i < d; i++) {
        const value = Math.max(-4, Math.min(4, z[i])) * 20;
        context.fillStyle = i >= first && i < first + this.settings.per_group ? "#ea580c" : "#64748b";
        context.fillRect(10 * i + 1, value >= 0 ? 80 - value : 80, 8, Math.abs(value));
      }
    };
    this.views.digit = { canvas, caption, bars: drawBars, refresh: drawBars };
  }

  showDigit(z) {
    const view = this.views.digit;
    if (!view || !this.digitImage) return;
    drawGrid(view.canvas, this.digitImage, { count: 1, scale: this.settings.image_scale });
    const t = this.text;
    let caption = fill(t.seed, { seed: this.state.seed }) + (this.moved(z) ? t.moved : "");
    if (this.verdict) caption += fill(t.reads, { digit: this.names[this.verdict.class] });
    view.caption.textContent = caption;
    label(view.canvas, fill(t.digit_alt, { caption }));
    view.canvas.dataset.seed = this.state.seed;
    view.canvas.dataset.z = Array.from(z).join(",");
    if (this.views.walk) this.views.walk.showTitle();
  }

  sliders(host, labels, name, first = 0) {
    const grid = element("div", { className: "gc-sliders" });
    const list = labels.map((label, n) => {
      const i = first + n;
      const slider = makeSlider({
        label, min: -this.settings.limit, max: this.settings.limit, step: 0.05,
        format: (v) => v.toFixed(2),
        onInput: (value, event) => this.change((s) => { s[name][i] = value; }, event),
        onChange: () => this.tell(),
      });
      grid.append(slider.element);
      return { slider, i };
    });
    host.append(grid);
    return () => list.forEach(({ slider, i }) => slider.set(this.state[name][i]));
  }

  buildLike(host) {
    const refresh = this.sliders(host, this.names.map((name) => fill(this.text.more_like, { digit: name })), "like");
    this.views.like = { refresh };
  }

  buildDirections(host) {
    const refresh = this.sliders(host, this.directions.map((_, k) => fill(this.text.direction, { n: k + 1 })), "shift");
    this.views.directions = { refresh };
  }

  buildNumbers(host) {
    const t = this.text, d = this.state.z.length, per = this.settings.per_group;
    const id = `gc-group-${Math.random().toString(36).slice(2)}`;
    const select = element("select", { id, className: "gc-select", title: fill(t.group_help, { size: d, count: per }) });
    for (let a = 0; a < d; a += per) {
      select.append(element("option", { value: a, textContent: `z[${a}] … z[${Math.min(a + per, d) - 1}]` }));
    }
    const holder = element("div");
    host.append(element("div", { className: "gc-field" },
      element("label", { htmlFor: id, textContent: t.sliders_for }), select), holder);
    let refreshSliders = () => {};
    const build = () => {
      holder.replaceChildren();
      const first = this.state.first, count = Math.min(per, d - first);
      refreshSliders = this.sliders(holder, Array.from({ length: count }, (_, n) => `z[${first + n}]`), "z", first);
      refreshSliders();
    };
    select.addEventListener("change", () => {
      this.change((s) => { s.first = Number(select.value); }, null, { moves: false, others: true });
      build();
      this.tell();
    });
    build();
    this.views.numbers = { refresh: () => { select.value = this.state.first; refreshSliders(); } };
  }

  buildWalk(host) {
    const t = this.text;
    const title = element("h3", { className: "gc-title" });
    const legend = element("legend", { textContent: t.into });
    const fieldset = element("fieldset", { className: "gc-choices", title: t.into_help }, legend);
    const radios = this.names.map((name, k) => {
      const input = element("input", { type: "radio", name: `gc-into-${Math.random().toString(36).slice(2)}`, value: k });
      input.addEventListener("change", () => {
        this.change((s) => { s.into = k; }, null, { moves: false });
        this.tell();
      });
      fieldset.append(element("label", {}, input, element("span", { textContent: name })));
      return input;
    });
    const strip = element("canvas", { className: "gc-strip",
      ...gridSize(this.settings.walk_frames, this.settings.walk_frames, this.settings.walk_scale) });
    const beliefs = element("p", { className: "gc-caption" });
    const animation = element("canvas", { className: "gc-animation",
      ...gridSize(1, 1, this.settings.gif_scale) });
    const keep = element("button", { type: "button", className: "gc-button", textContent: t.keep, title: t.keep_help });
    keep.addEventListener("click", () => {
      if (!this.lastWalk) return;
      const end = this.lastWalk.z.slice(-this.state.z.length);
      this.change((s) => { s.z.set(end); s.like.fill(0); s.shift.fill(0); }, null, { others: true });
      this.tell();
    });
    host.append(title, fieldset, element("figure", { className: "gc-figure" }, strip, beliefs),
      element("div", { className: "gc-row" },
        element("figure", { className: "gc-figure gc-animated" }, animation,
                element("figcaption", { textContent: t.back_and_forth })), keep));
    this.views.walk = {
      strip, beliefs, animation, keep,
      showTitle: () => {
        if (!this.verdict) return;
        const source = this.names[this.verdict.class], target = this.names[this.target(this.verdict.class)];
        title.textContent = fill(t.walk_title, { source, target });
        radios.forEach((radio, k) => { radio.checked = k === this.target(this.verdict.class); });
      },
      refresh: () => { keep.disabled = !this.lastWalk; },
    };
    if (this.lastWalk) this.showWalk(this.lastWalk);
    this.views.walk.showTitle();
  }

  showWalk(work) {
    this.lastWalk = work;
    const view = this.views.walk;
    if (!view) return;
    view.keep.disabled = false;
    const t = this.text, s = this.settings, verdict = this.verdict?.class ?? 0;
    const target = this.target(verdict), names = { source: this.names[verdict], target: this.names[target] };
    drawGrid(view.strip, work.images, { count: work.count, cols: work.count, scale: s.walk_scale });
    label(view.strip, fill(t.walk_alt, { count: work.count, ...names }));
    const percent = new Intl.NumberFormat(this.lang, { style: "percent" });
    const belief = Array.from({ length: work.count }, (_, f) => percent.format(work.probabilities[f * 10 + target]));
    view.beliefs.textContent = fill(t.beliefs, { target: names.target, beliefs: belief.join(" · ") });
    label(view.animation, fill(t.animation_alt, names));
    animate(view.animation, work.images, work.count, s.gif_scale, s.walk_fps);
  }

  buildNeighbours(host) {
    const t = this.text;
    const radius = makeSlider({
      label: t.radius, min: 0.05, max: 2, step: 0.05, format: (v) => v.toFixed(2), help: t.radius_help,
      onInput: (value) => this.change((s) => { s.radius = value; }, null, { moves: false }),
      onChange: () => this.tell(),
    });
    const count = this.noise.length / this.state.z.length + 1;
    const canvas = element("canvas", { className: "gc-grid",
      ...gridSize(count, count / 2, this.settings.neighbour_scale) });
    host.append(radius.element, element("figure", { className: "gc-figure" }, canvas,
      element("figcaption", { textContent: t.neighbours_caption })));
    this.views.neighbours = { canvas, refresh: () => radius.set(this.state.radius) };
    if (this.lastNeighbours) this.showNeighbours(this.lastNeighbours);
  }

  showNeighbours(work) {
    this.lastNeighbours = work;
    const view = this.views.neighbours;
    if (!view || !this.digitImage) return;
    const all = new Float32Array((work.count + 1) * 784);
    all.set(this.digitImage);
    all.set(work.images, 784);
    drawGrid(view.canvas, all, { count: work.count + 1, cols: (work.count + 1) / 2, scale: this.settings.neighbour_scale });
    label(view.canvas, fill(this.text.neighbours_alt,
      { count: work.count, radius: this.number(this.state.radius, 2) }));
  }
}

// The frames back and forth (1 2 ... n ... 2), `fps` a second, on `canvas` until it leaves
// the page. Still (the last frame) for a reader who asked for less motion.
function animate(canvas, images, count, scale, fps) {
  clearInterval(canvas.gcTimer);
  const order = [...Array(count).keys(), ...[...Array(count).keys()].slice(1, -1).reverse()];
  let n = 0;
  const show = () => drawGrid(canvas, images, { count: 1, scale, first: order[n++ % order.length] });
  if (window.matchMedia?.("(prefers-reduced-motion: reduce)").matches) {
    drawGrid(canvas, images, { count: 1, scale, first: count - 1 });
    return;
  }
  show();
  canvas.gcTimer = setInterval(() => (canvas.isConnected ? show() : clearInterval(canvas.gcTimer)), 1000 / fps);
}

function rows(flat, d) {
  return Array.from({ length: flat.length / d }, (_, r) => flat.subarray(r * d, (r + 1) * d));
}

// w / |w| in double precision, stored as float32 (ganlib.directions.ClassDirections.between).
function unit(w) {
  let total = 0;
  for (const value of w) total += value * value;
  const length = Math.sqrt(total);
  return Float32Array.from(w, (value) => value / length);
}

function argmax(values) {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
