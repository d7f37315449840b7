"""The app's request: JSON errors that say what is wrong, and form parsing that leaves no temporary
file open when a multipart body breaks off.

Werkzeug creates a temporary file for each uploaded part as it reads it; when the body ends in the
middle of a part, the parser gives up and drops the files it made without closing them.
"""

from __future__ import annotations

from typing import Any

from flask import Request as FlaskRequest
from werkzeug.formparser import FormDataParser

from tacase.web.json_body import MalformedJson


class _ClosingFormDataParser(FormDataParser):
    def parse(self, stream: Any, mimetype: str, content_length: int | None,
              options: dict[str, str] | None = None) -> Any:
        created: list[Any] = []
        make = self.stream_factory

        def tracked(*args: Any, **kwargs: Any) -> Any:
            created.append(made := make(*args, **kwargs))
            return made

        self.stream_factory = tracked
        try:
            stream, form, files = super().parse(stream, mimetype, content_length, options)
        except BaseException:
            for made in created:
                made.close()
            raise
        finally:
            self.stream_factory = make
        kept = {id(upload.stream) for upload in files.values()}
        for made in created:
            if id(made) not in kept:
                made.close()
        return stream, form, files


class Request(FlaskRequest):
    form_data_parser_class = _ClosingFormDataParser

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        # The body's own reason (nesting, encoding, syntax) in the one error shape, not Flask's.
        if isinstance(e, MalformedJson):
            raise e
        return super().on_json_loading_failed(e)
