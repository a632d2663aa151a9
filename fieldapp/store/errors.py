"""Why a store cannot be used as it is, said so a person can act on it.

Each error keeps its English sentence as a template with named values, so the CLI and the
GUI say it in the agent's language (`said(tr)`; the translations are in
resources/translations/*/store.po). Every sentence is one line and names the file; none
holds a key, a passphrase or a customer's data. Raising one of these changes nothing on
disk: the files are left exactly as they were found, for `fieldapp store rescue`.
"""

from __future__ import annotations

from typing import Any, Callable

from fieldapp.core.errors import FieldappError


class StoreProblem(FieldappError):
    """Base of the store's own failures; `template` is English, `values` fill it in."""

    def __init__(self, template: str, /, **values: Any):
        self.template = template
        self.values = {k: str(v) for k, v in values.items()}
        super().__init__(template.format(**self.values) if values else template)

    def said(self, tr: Callable[..., str]) -> str:
        """The sentence in the language of `tr` (a `Translator` or the GUI's `Language.tr`)."""
        return tr(self.template, **self.values) if self.values else tr(self.template)


class StoreMissing(StoreProblem):
    """The store file is gone, but something says it existed (its key file, its log)."""


class StoreDamaged(StoreProblem):
    """The store file is there but is not a whole, sound store (emptied, corrupt, a lost log)."""


# The sentences (English source text; each has its zh_CN translation in store.po).
EMPTY = ("the store {path} is empty (0 bytes): its data was lost. Nothing was changed; restore a copy "
         "of it, or run fieldapp store rescue to set it aside and start again")
MISSING = ("the store {path} is missing but its key file {keyfile} is still there: the store was moved "
           "or deleted, with any unsent visits in it. Put it back, or run fieldapp store rescue to start again")
ORPHAN_LOG = ("the store {path} is missing but its log {log} is still there: the store was moved or "
              "deleted. Put it back, or run fieldapp store rescue to start again")
LOG_LOST = ("the store's write-ahead log {log} was removed while the store was in use: recent changes "
            "may be lost. Nothing was changed; run fieldapp store rescue to keep what is left")
DAMAGED = ("the store {path} is damaged ({problem}). Nothing was changed; run fieldapp store rescue to "
           "copy what is readable into a new store")
OTHER_KEYFILE = ("the key file {keyfile} belongs to another store than {path}. Nothing was changed; put "
                 "the right key file back, or run fieldapp store rescue to start again")
BAD_KEYFILE = "the key file {keyfile} is not readable ({problem}); nothing was changed"
KEY_LOST = ("the data key of {path} is missing from the keyring, so its {unsent} unsent items cannot be "
            "read. Nothing was changed; restore the keyring entry, or move the store aside to start again")

# ---- fieldapp store rescue
RESCUE_NOTHING = "there is no store at {path}, nor its key file or log: there is nothing to rescue"
RESCUE_NOT_A_STORE = ("{path} is not a fieldapp store (no store record in it and no key file beside it). "
                      "Nothing was changed")
RESCUE_OUT_EXISTS = "{out} already exists: give --out a file that does not exist yet"
RESCUE_NO_KEY = ("the data key of {path} cannot be found, so its {unsent} unsent items cannot be read "
                 "and nothing can be rescued. Nothing was changed; restore the keyring entry (or give "
                 "the passphrase) and try again")
