// The watcher's live sample grid (ui/live_view.py, watch_grid): polls the run's document in
// the live feed once a second, swaps the picture when the grid's step changes, and asks
// Streamlit for one rerun when the run's status is no longer the one the page was drawn for,
// when its first grid arrives on a page drawn without one, or (for a follower) when the
// teacher presents another job. Streamlit reruns nothing else.
const POLL_MS = 1000;

export default function ({ parentElement, data, setTriggerValue }) {
  let figure = parentElement.querySelector("figure.gc-live");
  if (!figure) {
    figure = document.createElement("figure");
    figure.className = "gc-live";
    figure.append(document.createElement("img"), document.createElement("figcaption"));
    parentElement.append(figure);
  }
  const img = figure.querySelector("img");
  const caption = figure.querySelector("figcaption");
  const number = new Intl.NumberFormat(data.lang);
  const fill = (template, step) => template.replace("{step}", number.format(step));
  figure.dataset.run = data.run || "";
  let stopped = false;

  // One poll at a time, one a second: a slow answer delays the next poll, never doubles it.
  async function poll() {
    const started = performance.now();
    await update();
    if (!stopped) {
      parentElement.gcTimer = setTimeout(poll, Math.max(0, started + POLL_MS - performance.now()));
    }
  }

  async function update() {
    let doc;
    try {
      const answer = await fetch(data.feed, { cache: "no-store" });
      if (!answer.ok) return;                 // not written yet, or gone: try again later
      doc = await answer.json();
      if (doc.grid) {
        const src = new URL(doc.grid, answer.url).href;
        if (img.getAttribute("src") !== src) {
          const next = new Image();           // load first: the old grid stays until then
          next.src = src;
          await next.decode();
          if (stopped) return;
          img.src = src;
        }
        // Always: the page may have been drawn again in another language.
        const alt = fill(data.alt, doc.samples_step), text = fill(data.caption, doc.samples_step);
        if (img.alt !== alt) img.alt = alt;
        if (caption.textContent !== text) caption.textContent = text;
      }
    } catch (error) {
      return;                                 // a network hiccup: the next poll tries again
    }
    if (stopped) return;
    if (doc.step !== undefined) figure.dataset.step = doc.step;
    const change = data.run && doc.status !== data.status ? `status:${doc.status}`
      : data.follow && doc.presenting && doc.presenting !== data.presenting
        ? `presenting:${doc.presenting}`
        : data.run && doc.grid && !data.drawn_grid ? "grid" : null;
    if (change && change !== parentElement.gcAsked) {
      parentElement.gcAsked = change;         // once per change, not once a second
      setTriggerValue("changed", change);
    }
  }

  parentElement.gcStop?.();                   // drawn again with new data: one poller only
  parentElement.gcStop = () => {
    stopped = true;
    clearTimeout(parentElement.gcTimer);
  };
  poll();
  return parentElement.gcStop;
}
