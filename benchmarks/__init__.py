"""Reproducible speed and quality numbers for ganlib, with one command:

    .venv/bin/python -m benchmarks [--quick] [--out docs/benchmarks]

Sections (each a module):
1. `article_loops`: each article's Keras training loop, as written there, against ganlib's
   fused step on the same networks (and `throughput`: ganlib's Quick presets' steps/s);
2. `time_to_quality`: quality scores against wall-clock time for each Quick preset;
3. `watching`: training throughput with the Train page open in a real browser against
   headless training, and the latent explorer's slider round trip;
4. `memory`: resident memory over a long run.
`run` holds the sizes of a full and a quick run; `report` writes README.md, the plots and
results.json. Nothing here runs in the test suite except on tiny settings.
"""
