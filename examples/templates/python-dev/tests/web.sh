#!/bin/sh
# The web server setup.sh started answers on port 8000 with the start page made by the pip package.
page=$(curl -fsS --max-time 10 http://127.0.0.1:8000/) || { echo "no answer on port 8000"; exit 1; }
case "$page" in
  "hello from python-dev"*) echo "port 8000: $page" ;;
  *) echo "port 8000 answered: $page"; exit 1 ;;
esac
