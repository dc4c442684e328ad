// The Interpolation page's pictures drawn in the browser (pages/interpolation.py,
// ui/browser_generator.py): per path (linear, spherical) an animation at the chosen size and a
// scrubber over the path, t from 0 to 1, that redraws the frame at t while it moves; below,
// the strips of every frame. The generator runs in a Web Worker (generator.js); nothing here
// talks to the server, which keeps the stops, the settings and the GIF downloads.
//
// Two parts: "animations" (its data holds the model, the stops and the strings) and
// "strips"; they share one Interpolation.
import { drawGrid, gridSize } from "./digits.js";
import { Batch, generatorFor, supported } from "./generator.js";
import { along, path } from "./latent.js";
import { WorkQueue } from "./queue.js";
import { element, fill, floats, formatter, label, makeSlider, placePart } from "./widgets.js";

const CHUNK_MS = 8;       // path frames sent to the worker at once: a scrub waits no longer
const TIMINGS = 2000;     // scrub-to-picture times kept for the benchmark (window.ganTimings)

let current = null;
const parts = new Map();

export function mount(component) {
  const { data } = component;
  if (!supported()) {
    component.setTriggerValue("failed", "unsupported");
    return;
  }
  if (data.part === "animations") {
    const key = JSON.stringify([data.generator, data.stops, data.steps, data.methods, data.scale, data.lang]);
    if (!current || current.key !== key) {
      current?.stop();
      current = new Interpolation(data, key);
      for (const [part, host] of parts) if (host.isConnected) current.render(part, host);
    }
    current.component = component;
  }
  placePart(component, parts, `gc-interpolation-${data.part}`, current);
}

class Interpolation extends WorkQueue {
  constructor(data, key) {
    super();
    this.key = key;
    this.text = data.text;
    this.methods = data.methods;                  // [{id, label}] of the paths shown
    this.steps = data.steps;
    this.scale = data.scale;
    this.stripScale = data.strip_scale;
    this.fps = data.fps;
    this.number = formatter(data.lang);
    const flat = floats(data.stops, Float32Array), d = data.latent_dim;
    this.stops = Array.from({ length: flat.length / d }, (_, i) => flat.subarray(i * d, (i + 1) * d));
    this.frames = (this.stops.length - 1) * (this.steps - 1) + 1;
    this.generator = generatorFor(new URL(data.generator, document.baseURI).href, null);
    // The frames of each path, filled in a few at a time.
    this.paths = this.methods.map((method) =>
      new Batch(this.generator, path(this.stops, this.steps, method.id), this.frames, false));
    this.t = 0;
    this.tVersion = 0;
    this.drawnT = -1;
    this.inputs = [];
    this.playing = !window.matchMedia?.("(prefers-reduced-motion: reduce)").matches;
    this.position = 0;                             // where the animation is: 0 .. 2 (frames - 1)
    this.views = {};
    window.ganTimings = window.ganTimings || [];
    this.generator.ready.catch((error) => this.fail(error));
    this.timer = setInterval(() => this.tick(), 1000 / this.fps);
    this.pump();
  }

  stop() {
    clearInterval(this.timer);
    this.stopped = true;
  }

  ready() {
    return this.paths.every((batch) => batch.finished);
  }

  // --- the work: the frame under the scrubber first, then the paths' frames ----------------

  nextJob() {
    if (this.stopped) return null;
    // Under the scrubber; or, playing, the first frame until every frame is there.
    if (this.drawnT !== this.tVersion && (!this.playing || !this.ready())) {
      return () => this.drawAt(this.tVersion);
    }
    const batch = this.paths.find((b) => !b.finished);
    if (!batch) return null;
    return async () => { await batch.step(CHUNK_MS); if (batch.finished) this.showStrips(); };
  }

  // The frame at t on every path, computed for t itself (not the nearest stored frame).
  async drawAt(version) {
    const t = this.t, d = this.stops[0].length, z = new Float32Array(this.methods.length * d);
    this.methods.forEach((method, m) => z.set(along(this.stops, t, method.id), m * d));
    const answer = await this.generator.run(z, this.methods.length, false);
    this.drawnT = version;
    if (this.playing && this.ready()) return;
    this.views.animations?.show(answer.images, (m) => m, t);
    const answered = this.inputs.filter((input) => input.version <= version);
    this.inputs = this.inputs.filter((input) => input.version > version);
    requestAnimationFrame((now) => {                     // timed to the frame that shows it
      window.ganTimings.push(...answered.map((input) => now - input.at));
      if (window.ganTimings.length > TIMINGS) window.ganTimings.splice(0, window.ganTimings.length - TIMINGS);
    });
  }

  // The animation: one frame further (back and forth) while playing and every frame is there.
  tick() {
    if (!this.views.animations?.canvases[0].isConnected) {
      if (this.views.animations) this.stop();
      return;
    }
    if (!this.playing || !this.ready()) return;
    const last = this.frames - 1;
    this.position = (this.position + 1) % Math.max(2 * last, 1);
    const frame = this.position <= last ? this.position : 2 * last - this.position;
    this.t = last ? frame / last : 0;
    this.views.animations.show(null, (m) => frame, this.t);
  }

  // --- parts -----------------------------------------------------------------------------

  render(part, host) {
    host.replaceChildren();
    if (part === "animations") this.buildAnimations(host);
    if (part === "strips") this.buildStrips(host);
  }

  buildAnimations(host) {
    const t = this.text;
    const play = element("button", { type: "button", className: "gc-button" });
    const scrub = makeSlider({
      label: t.scrub, min: 0, max: 1, step: 0.005, format: (v) => this.number(v, 2), help: t.scrub_help,
      onInput: (value, event) => {
        this.playing = false;
        this.t = value;
        this.tVersion++;
        this.inputs.push({ at: event.timeStamp, version: this.tVersion });
        showPlay();
        this.pump();
      },
      onChange: () => {},
    });
    const showPlay = () => { play.textContent = this.playing ? t.pause : t.play; };
    play.addEventListener("click", () => {
      this.playing = !this.playing;
      if (this.playing) {
        const last = this.frames - 1;
        this.position = Math.round(this.t * last);
      } else {
        this.tVersion++;
        this.pump();
      }
      showPlay();
    });
    showPlay();
    const canvases = [], captions = [];
    const columns = element("div", { className: "gc-columns" }, ...this.methods.map((method) => {
      const canvas = element("canvas", { width: 28 * this.scale, height: 28 * this.scale });
      canvas.style.maxWidth = `${28 * this.scale}px`;
      const caption = element("figcaption");
      canvases.push(canvas);
      captions.push(caption);
      return element("figure", { className: "gc-figure" },
        element("p", {}, element("strong", { textContent: method.label })), canvas, caption);
    }));
    host.append(element("div", { className: "gc-scrub" }, play, scrub.element), columns);
    this.views.animations = {
      canvases,
      // Draw frame `frameOf(m)` of path m (from `images`, or the stored frames when null).
      show: (images, frameOf, at) => {
        scrub.set(Math.round(at * 200) / 200);
        this.methods.forEach((method, m) => {
          const source = images ?? this.paths[m].images;
          if (!source) return;
          drawGrid(canvases[m], source, { count: 1, scale: this.scale, first: frameOf(m) });
          const still = fill(t.frame_alt, { method: method.label, t: this.number(at, 2), stops: t.stops });
          const moving = fill(t.animation_alt, { method: method.label, stops: t.stops });
          label(canvases[m], this.playing ? moving : still);
          captions[m].textContent = this.playing ? fill(t.caption, { stops: t.stops })
            : fill(t.frame_caption, { t: this.number(at, 2) });
        });
      },
    };
    this.drawnT = -1;
    this.pump();
  }

  buildStrips(host) {
    const t = this.text;
    this.views.strips = this.methods.map((method) => {
      const canvas = element("canvas", { role: "img", ...gridSize(this.frames, this.frames, this.stripScale),
        "aria-label": fill(t.strip_alt, { method: method.label, stops: t.stops }) });
      host.append(element("figure", { className: "gc-figure" }, canvas,
        element("figcaption", { textContent: `${method.label}: ${t.stops}` })));
      return canvas;
    });
    this.showStrips();
  }

  showStrips() {
    (this.views.strips || []).forEach((canvas, m) => {
      const batch = this.paths[m];
      if (batch.finished) {
        drawGrid(canvas, batch.images, { count: this.frames, cols: this.frames, scale: this.stripScale });
      }
    });
  }
}
