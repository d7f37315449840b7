# gunicorn settings for running tacase without `tacase serve`:
#     gunicorn -c config/gunicorn_conf.py
# The web workers never start a scheduler (create_app has none): run `tacase scheduler` as its own
# process (one or more; they elect a leader through the database).
from config import load_config

wsgi_app = "wsgi:app"
bind = "127.0.0.1:8000"
workers = 2
# TACASE_REQUEST_TIMEOUT_SECONDS: Idempotency-Key leases follow it.
timeout = load_config().REQUEST_TIMEOUT_SECONDS
# The longest request line gunicorn reads (its maximum): addresses with long filters still reach
# the app, which answers in its own error shape.
limit_request_line = 8190
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = "127.0.0.1"
