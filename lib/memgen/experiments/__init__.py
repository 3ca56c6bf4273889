"""The chapters' experiments: one module per chapter, named by the chapter's stem.

Each module holds its chapter's settings and seeded experiment functions (cached with
:func:`memgen.experiments.cache.experiment`); the scorecard (:mod:`memgen.experiments.scorecard`)
recomputes every quantitative claim of the book from them. Experiments import the science core
(:mod:`memgen`) and other chapters' experiments, never a view.
"""
