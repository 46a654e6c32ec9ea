#!/bin/sh
# The web server setup.sh started answers on port 8000 with the start page the installed pip package makes, and it
# runs as a service (it outlived the provisioning session that started it).
want=$(python3 -c 'import vboxmcp_hello; print(vboxmcp_hello.greeting("python-dev"))') || { echo "vboxmcp_hello does not import"; exit 1; }
page=$(curl -fsS --max-time 10 http://127.0.0.1:8000/) || { echo "no answer on port 8000"; exit 1; }
[ "$page" = "$want" ] || { echo "port 8000 answered '$page', expected '$want'"; exit 1; }
echo "port 8000: $page"
if [ -d /run/systemd/system ]; then
  state=$(systemctl is-active python-dev-web.service) || { echo "python-dev-web.service is $state"; exit 1; }
  echo "python-dev-web.service: $state"
fi
