"""Running the app under gunicorn from `tacase serve`, without a separate configuration file."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from config import BaseConfig


class _Gunicorn(BaseApplication):
    def __init__(self, config: BaseConfig, options: dict[str, Any]) -> None:
        self.tacase_config, self.options = config, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Each worker builds its own app (and database pool) after the fork.
        from tacase.web import create_app

        return create_app(self.tacase_config)


def serve(config: BaseConfig, *, bind: str, workers: int, threads: int = 1, timeout: int = 30) -> None:
    _Gunicorn(config, {
        "bind": bind, "workers": workers, "threads": threads, "timeout": timeout,
        # The longest request line gunicorn reads (its maximum; its default is half of it).
        "limit_request_line": 8190,
        "accesslog": "-", "errorlog": "-", "proc_name": "tacase",
        # Behind a proxy only the loopback may set X-Forwarded-*; the default already says so.
        "forwarded_allow_ips": "127.0.0.1",
    }).run()
