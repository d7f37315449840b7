"""What every `tacase` command shares: the configuration, and a session that commits once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property

import click
from sqlalchemy.orm import Session

from config import BaseConfig, ConfigError, load_config
from tacase.engine.definitions import WorkflowError


class Context:
    def __init__(self) -> None:
        try:
            self.config: BaseConfig = load_config()
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None

    @cached_property
    def session_factory(self):
        from tacase.db.session import make_engine, make_session_factory
        from tacase.services.runtime import Runtime

        try:
            runtime = Runtime.from_config(self.config)
        except WorkflowError as exc:
            raise click.ClickException(f"the workflows are invalid:\n{exc}") from None
        engine = make_engine(self.config.DATABASE_URL)
        click.get_current_context().call_on_close(engine.dispose)
        return make_session_factory(engine, runtime)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.session_factory() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise


pass_context = click.make_pass_decorator(Context, ensure=True)
