"""The chapters' figures: one module per chapter, named by the chapter's stem.

Views take the results of :mod:`memgen.experiments` and draw them (plotly, through
:mod:`memgen.views.render`); they never import an experiment. :mod:`memgen.views.explorers` holds
the ipywidgets explorers for readers with a kernel, :mod:`memgen.views.panels` the figure panels
several chapters share, :mod:`memgen.views.notebook` the glue helpers the chapters use.
"""
