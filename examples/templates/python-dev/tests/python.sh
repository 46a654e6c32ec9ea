#!/bin/sh
# The Python interpreter runs and the pip-installed package (requirements.txt) is importable by the plain python3.
set -e
python3 -c 'import sys; assert sys.version_info >= (3, 11), sys.version; print("python", sys.version.split()[0])'
python3 -c 'import vboxmcp_hello; print("vboxmcp_hello:", vboxmcp_hello.greeting("check"))'
