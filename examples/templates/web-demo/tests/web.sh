#!/bin/sh
# The web server started by provisioning answers on port 8000 with the template's greeting.
# EXPECTED_GREETING comes from the scenario (tests/scenarios.yaml); the default is the template's own.
expected=${EXPECTED_GREETING:-hello from web-demo}
page=$(wget -q -O - http://127.0.0.1:8000/) || { echo "no answer on port 8000"; exit 1; }
if [ "$page" != "$expected" ]; then
  echo "port 8000 answered '$page', expected '$expected'"
  exit 1
fi
echo "port 8000: $page"
