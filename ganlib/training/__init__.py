"""Training: the machinery that runs the library's training rules in the background.

`runner.TrainingRun` trains one model in a thread; `backends` says where runs train (this
process, or a Ray cluster through `ray_backend`); `compare.Comparison` runs several at once
for the same time. This layer uses the library (ganlib) and never the classroom server
(ganlib.server) above it.
"""
