// The element of ui/browser_generator.py: loads the page's module from the app's static files
// (static/gan/<page>.js, given as data.module) and lets it draw its part. The module stays
// loaded for the page's life, so a redraw of the element only hands it the new data.
export default function (component) {
  const { data, setTriggerValue } = component;
  import(new URL(data.module, document.baseURI).href)
    .then((module) => module.mount(component))
    .catch(() => setTriggerValue("failed", "load"));
}
