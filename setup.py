"""Only the optional C extension lives here: setuptools reads everything else from
setup.cfg, and cannot declare ext_modules there (nor in pyproject.toml without moving
all metadata to a [project] table).

plumbing/_native.c is the work-tree scan's per-file loop (`ldv status`); it is optional:
without a C compiler the build skips it and porcelain/status.py runs the same scan
in Python.
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension("ldv.plumbing._native", sources=["plumbing/_native.c"],
                             optional=True, extra_compile_args=["-O2", "-pthread"],
                             extra_link_args=["-pthread"])])
