// A browser-drawn page's work, one job at a time (the generator's worker answers in order):
// after each job the page's nextJob() is asked again, so the newest slider value always goes
// first. The first failure ends the queue and is told to Streamlit, which then shows the
// server's drawing (ui/browser_generator.py). Used by explorer.js and interpolation.js.
export class WorkQueue {
  constructor() {
    this.busy = false;
    this.failed = false;
    this.component = null;     // the Streamlit element that hears a failure
  }

  fail(error) {
    if (this.failed) return;
    this.failed = true;
    this.component?.setTriggerValue("failed", `${error && error.message ? error.message : error}`);
  }

  // The page's next job (an async function), or null when nothing is left to draw.
  nextJob() {
    return null;
  }

  async pump() {
    if (this.busy || this.failed) return;
    const job = this.nextJob();
    if (!job) return;
    this.busy = true;
    try {
      await job();
    } catch (error) {
      this.fail(error);
    } finally {
      this.busy = false;
    }
    this.pump();
  }
}
