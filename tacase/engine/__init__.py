"""The workflow engine: pure Python, no Flask and no SQL.

Definitions are loaded from YAML and validated (`definitions`), fired through one `transitions`
machine per definition (`machine`), checked by named guards (`guards`), and timed on a business
calendar (`calendar`, `deadlines`).
"""
