"""The machinery behind the homework notebook ``hw04.ipynb``, one job per module.

It works installed either way, editable or not: where it needs the homework's
folder (the data, the notebook, the results), the caller says where it is.
"""
