"""The line-keeping YAML loader lives in `fieldapp.core.yamlload` (scripts and the conduct
rules both read YAML written by compliance staff); this name is kept for existing imports."""

from fieldapp.core.yamlload import LineDict, LineList, load_yaml

__all__ = ["LineDict", "LineList", "load_yaml"]
