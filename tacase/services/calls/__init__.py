"""Calls for input: questionnaires and calls for submissions that States answer by a closing date."""
