"""The sync server: FastAPI app (app.py), models and migrations, auth, services, routers,
administration (admin.py), CSV import (importer.py), demo data (demo.py) and an in-process
harness for tests and the demo (testing.py). Operating notes: README.md, IMPORT.md."""
