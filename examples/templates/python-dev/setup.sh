#!/bin/sh
# Starts a Python web server on port 8000 that serves a start page made with the pip-installed package.
# It runs as a transient systemd service, so it outlives the provisioning SSH session and restarts on failure.
# vboxmcp runs scripts with its virtual environment first on PATH (Debian 12's python3 is externally managed,
# PEP 668; docs/templates.md), so "python3" here is /opt/vboxmcp/venv/bin/python3, which imports what
# "pip install -r requirements.txt" installed; the service is started with that same interpreter.
set -eu
site=/srv/python-dev
mkdir -p "$site"
python3 -c 'import vboxmcp_hello; print(vboxmcp_hello.greeting("python-dev"))' > "$site/index.html"
if command -v systemd-run >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl stop python-dev-web.service 2>/dev/null || true
  systemctl reset-failed python-dev-web.service 2>/dev/null || true
  systemd-run --unit=python-dev-web --property=Restart=on-failure \
    --setenv=PYTHONUNBUFFERED=1 "$(command -v python3)" -m http.server 8000 --directory "$site"
else
  nohup python3 -m http.server 8000 --directory "$site" </dev/null >/var/log/python-dev-web.log 2>&1 &
fi
# ready when it answers
i=0
until python3 -c 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:8000/", timeout=2)' 2>/dev/null; do
  i=$((i + 1)); [ "$i" -lt 50 ] || { echo "web server did not answer on port 8000" >&2; exit 1; }
  sleep 0.2
done
echo "web server answers on port 8000"
