# gunicorn settings for running tacase without `tacase serve`:
#     gunicorn -c config/gunicorn_conf.py
# The web workers never start a scheduler (create_app has none): run `tacase scheduler` as its own
# process (one or more; they elect a leader through the database).
wsgi_app = "wsgi:app"
bind = "127.0.0.1:8000"
workers = 2
timeout = 30
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = "127.0.0.1"
