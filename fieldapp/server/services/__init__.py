"""Plain functions taking a Session; they never commit (the request or the caller does)."""
