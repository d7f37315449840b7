"""`tacase run --welcome`: what a newcomer reads once the server listens."""

from __future__ import annotations

from tacase.cli import welcome_lines


def test_the_banner_names_the_address_and_the_demo_accounts():
    lines = welcome_lines("http://127.0.0.1:5000", accounts=True)
    text = "\n".join(lines)
    assert "open http://127.0.0.1:5000" in text and "http://127.0.0.1:5000/api/v1/docs" in text
    assert "focal.fji@example.org" in text and "password for all:" in text
    assert lines[-1].startswith("=")  # the banner ends the output


def test_no_accounts_outside_the_demo():
    assert "password" not in "\n".join(welcome_lines("http://127.0.0.1:5000", accounts=False))
