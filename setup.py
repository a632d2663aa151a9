"""The package list, which pyproject.toml cannot express; everything else is there.

`resources/` lives at the top of the checkout and goes into the wheel as the package data
directory `fieldapp/_resources` (found by fieldapp/core/resources.py). pyproject.toml maps
the directory (`package-dir`) and its files (`package-data`), but its `find` directive only
discovers directories that exist under their own name, so the mapped package would be left
out and the wheel would have no resources. Here: every package under fieldapp/ (found, so a
new one needs no edit), plus `fieldapp._resources` and each of its folders (listed as
packages so that setuptools does not warn about data in unlisted folders).
"""

from setuptools import find_namespace_packages, setup

RESOURCES = "fieldapp._resources"

setup(packages=[
    *find_namespace_packages(include=["fieldapp", "fieldapp.*"], exclude=["*.__pycache__"]),
    RESOURCES,
    *(f"{RESOURCES}.{name}" for name in find_namespace_packages(where="resources")),
])
