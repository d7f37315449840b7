"""File formats that know nothing of Flask or the database session: each takes plain values and
gives text or bytes."""
