#!/bin/sh
# The start page was written by the developer user (the script's run_as), in its home.
owner=$(stat -c %U /home/developer/www/index.html) || exit 1
[ "$owner" = developer ] || { echo "index.html is owned by $owner, not developer"; exit 1; }
echo "index.html owned by $owner"
