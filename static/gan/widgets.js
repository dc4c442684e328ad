// Small DOM helpers the browser-drawn pages share: elements, labelled sliders, the page's
// translated templates and numbers from the server.

let serial = 0;

// document.createElement with properties (attributes for names with a dash) and children.
export function element(tag, properties = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(properties)) {
    if (name.includes("-") || name === "role") node.setAttribute(name, value);
    else node[name] = value;
  }
  node.append(...children);
  return node;
}

// The place of one "part" a page module draws (the module is mounted once per part, each in
// its own element of Streamlit's): the part's host element, made once inside the mount's
// parent; the page object (when there is one yet) draws the part into it when it is new.
export function placePart(component, parts, className, page) {
  const { data, parentElement } = component;
  let host = parentElement.querySelector(":scope > .gc-part");
  if (!host) {
    host = element("div", { className: `gc-part ${className}` });
    parentElement.append(host);
  }
  if (parts.get(data.part) !== host) {
    parts.set(data.part, host);
    page?.render(data.part, host);
  }
}

// A canvas that now shows a picture: an image to a screen reader, with `text` as its alt
// text (a canvas still empty is left out of the page's images).
export function label(canvas, text) {
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", text);
}

// A Python format template ("Seed {seed}") filled in.
export function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? `${values[name]}` : whole));
}

// Numbers the server sent as base64 of little-endian float32 or float64 values.
export function floats(text, Type) {
  const bytes = Uint8Array.from(atob(text || ""), (c) => c.charCodeAt(0));
  return new Type(bytes.buffer, 0, bytes.length / Type.BYTES_PER_ELEMENT);
}

// number(value, decimals): `value` as the page's language writes it (1.5 or 1,5).
export function formatter(lang) {
  const cache = new Map();
  return (value, decimals) => {
    if (!cache.has(decimals)) {
      cache.set(decimals, new Intl.NumberFormat(lang, { minimumFractionDigits: decimals,
                                                        maximumFractionDigits: decimals }));
    }
    return cache.get(decimals).format(value);
  };
}

// A labelled range input with its value beside the label: the arrow keys move it by `step`,
// a screen reader reads the label and the value. onInput(value, event) on every move,
// onChange() when a move ends (pointer released, key pressed).
export function makeSlider({ label, min, max, step, format, help, onInput, onChange }) {
  const id = `gc-slider-${++serial}`;
  const input = element("input", { type: "range", id, min, max, step });
  const output = element("output", { htmlFor: id, className: "gc-value" });
  const head = element("div", { className: "gc-slider-head" },
    element("label", { htmlFor: id, textContent: label }), output);
  const box = element("div", { className: "gc-slider" }, head, input);
  if (help) box.title = help;
  let shown = null;
  const show = (value) => {
    const text = format(value);
    if (output.textContent !== text) output.textContent = text;
    input.setAttribute("aria-valuetext", text);
  };
  input.addEventListener("input", (event) => {
    const value = Number(input.value);
    shown = value;
    show(value);
    onInput(value, event);
  });
  input.addEventListener("change", () => onChange());
  return {
    element: box, input,
    set(value) {
      if (value === shown) return;
      shown = value;
      input.value = Math.min(max, Math.max(min, value));   // a rare |z[i]| > 3 sits at the end
      show(value);
    },
  };
}
