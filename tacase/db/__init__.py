"""Database layer: typed models, column types, engine and session factory. No Flask here."""
