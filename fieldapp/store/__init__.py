"""The client store: the agent's cases, outbox, attachments, tasks and drafts on the laptop.

SQLite through SQLAlchemy 2.0 (WAL, foreign keys on), schema upgraded by Alembic at start-up
with a backup copy taken first. Personal data is encrypted at rest.

Encryption: field/blob AES-256-GCM (`cryptography`), not SQLCipher
----------------------------------------------------------------------
We weighed the two for Windows, macOS, Linux and a PyInstaller bundle:

- SQLCipher (`sqlcipher3` wheels) encrypts the whole file, indexes included, which is the
  stronger story. But wheels exist only for some platform/Python pairs (Linux x86-64 mainly;
  macOS arm64 and Windows often mean building SQLCipher and OpenSSL ourselves), SQLAlchemy
  and Alembic need a custom dialect hook, the bundle must ship a second SQLite and a second
  OpenSSL, and a version skew between the two SQLites is a support risk.
- AES-GCM through `cryptography` ships as wheels for every target (it is already a
  dependency), PyInstaller collects it without hooks, and it works with the stock
  `sqlite3`. The cost: column names and the non-personal index columns (ids, reference,
  status, dates, days past due, tier, amount) stay readable; so the rule is that those
  columns hold nothing personal, and everything else about a customer (name, address,
  phone, location, notes, history), every outbox payload, the session token and every
  attachment file (signatures, agreement PDFs) is sealed. GCM authenticates, and the
  associated data binds each value to its row, so swapped or altered values are detected.

Chosen: AES-GCM field/blob encryption. The 256-bit data key is random and kept in the OS
keyring (Windows Credential Manager, macOS Keychain, Secret Service); where no keyring
exists a passphrase is required and an scrypt-derived key wraps the data key, which is
stored wrapped in the meta row. `secure_delete` is on and a wipe vacuums the file, so
deleted rows do not linger in free pages.

Data safety: the key file beside the store (`keyfile`), the checks at open (`health`: a
missing, emptied or damaged store is an error, never replaced), outbox items that cannot
be sent set aside (`outbox`: quarantined), `rescue` of a damaged store (`salvage` and
`pages` read it), and private files (0600/0700, `fieldapp.core.private`).
"""

from fieldapp.store.crypto import PassphraseRequired, PassphraseToChoose, StoreLocked, Tampered, WrongPassphrase
from fieldapp.store.errors import StoreDamaged, StoreMissing, StoreProblem
from fieldapp.store.rows import CaseRow, DraftRow, OutboxRow, TaskRow
from fieldapp.store.store import MetaState, Store, default_store_path
from fieldapp.store import field, institution, practice, reviews, signing  # noqa: F401,E402  (their tables belong to the same metadata)

__all__ = ["CaseRow", "DraftRow", "MetaState", "OutboxRow", "PassphraseRequired", "PassphraseToChoose", "Store",
           "StoreDamaged", "StoreLocked", "StoreMissing", "StoreProblem", "Tampered", "TaskRow",
           "WrongPassphrase", "default_store_path"]
